"""The workflow settings of a draft on the prepare page `/app/new/{id}`.

Each form is one core call, the one behind the API route named beside it; the page holds
no rule of its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from signflow.accounts.principal import Principal
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal

router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]
