"""What a failed platform call says about the message: refused (resend it) or answer lost (it may be out).

A chat platform cannot tell a resend from a new message, so a send is retried only when the failure
proves it did not go out. Used by the Wechaty adapter; grpclib is the puppet service's transport.
"""

from __future__ import annotations

from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

# statuses the client side produces when the call's answer did not come back, whatever the server did
LOST_STATUSES = frozenset({Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.CANCELLED})


def answer_lost(exc: BaseException) -> bool:
    """True when a call that was issued failed without the server's verdict: it may have been carried out.

    A timeout, the stream reset or the connection dropped mid-call. A refused connection is not: nothing
    reached the server. Any other gRPC status is the server's answer (it refused), so resending is safe."""
    if isinstance(exc, ConnectionRefusedError):
        return False
    if isinstance(exc, TimeoutError | StreamTerminatedError | OSError):  # ConnectionError is an OSError
        return True
    if isinstance(exc, GRPCError):
        return exc.status in LOST_STATUSES
    return False
