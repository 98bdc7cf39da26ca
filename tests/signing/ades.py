"""pyHanko's own AdES validation (ETSI EN 319 102-1), offline: the validator an expert uses."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from io import BytesIO

from asn1crypto.crl import CertificateList
from asn1crypto.ocsp import OCSPResponse
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation.ades import (
    AdESLTAValidationResult,
    AdESWithTimeValidationResult,
    ades_lta_validation,
    ades_with_time_validation,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

from signflow.signing.cms import to_asn1_cert


def _spec(
    roots: Sequence[x509.Certificate], knowledge: LocalKnowledge | None = None
) -> SignatureValidationSpec:
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(
            trust_roots=[CertTrustAnchor(to_asn1_cert(r)) for r in roots]
        ),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy.from_legacy("hard-fail")),
    )
    return SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
        ),
        local_knowledge=knowledge or LocalKnowledge(),
    )


def _dss_knowledge(reader: PdfFileReader) -> LocalKnowledge:
    """What the document's DSS holds, as pyHanko's validator takes it."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return LocalKnowledge()
    return LocalKnowledge(
        known_ocsps=[
            c
            for ref in dss.ocsps
            for c in OCSPContainer.load_multi(OCSPResponse.load(ref.get_object().data))
        ],
        known_crls=[CRLContainer(CertificateList.load(ref.get_object().data)) for ref in dss.crls],
        known_certs=list(dss.load_certs()),
    )


def ades_with_time(
    pdf: bytes, roots: Sequence[x509.Certificate]
) -> list[AdESWithTimeValidationResult]:
    """ETSI EN 319 102-1 5.5 (validation with time, what B-T and B-LT promise), now,
    with nothing but the trust roots and what the document embeds."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    spec = _spec(roots, _dss_knowledge(reader))

    async def run() -> list[AdESWithTimeValidationResult]:
        results = []
        for sig in reader.embedded_regular_signatures:
            sig.compute_integrity_info()
            results.append(
                await ades_with_time_validation(
                    sig.signed_data,
                    spec,
                    raw_digest=sig.compute_digest(),
                    extra_status_kwargs=sig.summarise_integrity_info(),
                    status_cls=PdfSignatureStatus,
                )
            )
        return results

    return asyncio.run(run())


def ades_validate(
    pdf: bytes,
    roots: Sequence[x509.Certificate],
    at: datetime | None = None,
    current_crls: Sequence[bytes] = (),
) -> list[AdESLTAValidationResult]:
    """ETSI EN 319 102-1 5.6.3 (long-term validation, what B-LTA promises) for every
    signature of `pdf` as of `at` (default now), nothing fetched. `current_crls` are
    what the relying party has fetched at `at` beside the document (for the newest
    archive timestamp, which is checked as of then)."""
    moment = at or datetime.now(UTC)
    knowledge = LocalKnowledge(
        known_crls=[CRLContainer(CertificateList.load(c)) for c in current_crls]
    )
    spec = PdfSignatureValidationSpec(_spec(roots, knowledge))
    timing = ValidationTimingInfo(moment, moment, point_in_time_validation=at is not None)
    reader = PdfFileReader(BytesIO(pdf), strict=False)

    async def run() -> list[AdESLTAValidationResult]:
        return [
            await ades_lta_validation(sig, spec, timing_info=timing)
            for sig in reader.embedded_regular_signatures
        ]

    return asyncio.run(run())


def passed(result: AdESWithTimeValidationResult) -> bool:
    return result.ades_subindic == AdESPassed.OK
