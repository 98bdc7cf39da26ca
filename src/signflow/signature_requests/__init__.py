"""OKdokument signature requests over the package core.

A signature request is a package with one document and one signer (a
recipient whose email is a placeholder: the signer is "the person who opens
the link"), plus the link and the two callback URLs. It therefore has the
package's history, signatures and webhooks.

    service.py    create, update (PATCH), delete, list, read; resolve a request id for
                  the signer's pages; submit and cancel with the redirect to resulturl
    sendinfo.py   the sendInfo callback: queued in the transaction, delivered by the
                  worker through the webhook machinery (signed, retried, logged,
                  SSRF-checked); `errorsendinfo` once every retry failed
"""
