"""The workflow core: recipients, fields, the state machine and every action on it.

One use case per function, grouped by what it works on:

    settings.py    workflow details (type, mode, continue_on_decline, message, expiry)
    recipients.py  add, list, update, reorder, delete; permissions, authentication, reminders
    fields.py      place, change, autoplace, assign, delete, list, fill
    share.py       share (DRAFT -> SHARED, INDIVIDUAL copies) and recall (SHARED -> DRAFT)
    steps.py       which recipients' turn opens next, and completion when none is left
    actions.py     open, close, approve, submit, decline, finish, complete (terminate)
    sign.py        blind signing of one field
    deadlines.py   package expiry and reminders, as scheduled outbox jobs
    events.py      the package notification jobs and emails each state change writes
    history.py     reading the package history

Every state change locks the package row, compares-and-sets the state it
expects, and writes its history entry and its notification jobs in the
caller's transaction. Services never commit.
"""
