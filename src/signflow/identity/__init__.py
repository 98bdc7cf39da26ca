"""Identity checks of recipients: document-opening security, signing codes, blocking.

    methods.py   what a recipient must present (password, code by email or SMS), and the
                 stored password kept only as an argon2id hash
    codes.py     one-time codes: 6 digits, 5 minutes, single use, HMAC-hashed, resend limits
    sms.py       SMS channels: `log` (development) and `http` (a gateway URL)
    jobs.py      the outbox jobs that deliver codes by email and SMS
    checks.py    the checks run on open, on every content read and on every action; the
                 atomic failure count and the block on the third failure
    unblock.py   the owner's reset / approve / reject of a blocked recipient

A failed try must count although its request fails: the errors that carry a
counted failure are `KeepsChanges`, so the request commits the count, then answers.
"""
