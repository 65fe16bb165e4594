"""A deeper listen backlog for the moto server's socket.

werkzeug's ``BaseWSGIServer`` listens with a backlog of 128 (``LISTEN_QUEUE``): a burst of
parallel Step Functions branches opening connections at once had some refused
(``EndpointConnectionError``) with 100 analyses started together. This raises the class's
``request_queue_size``, which ``socketserver.TCPServer.server_activate`` passes to ``listen``.

Written against werkzeug 3.1.9 (moto 5.2.5's ``ThreadedMotoServer`` serves through it).
"""

from __future__ import annotations

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "werkzeug 3.1.9"
BACKLOG = 2048
RELIES_ON = (
    Internal("werkzeug.serving", "BaseWSGIServer.request_queue_size", kind=int),
    Internal("werkzeug.serving", "BaseWSGIServer.__init__", source=("self.server_activate()",)),
    Internal("socketserver", "TCPServer.server_activate", source=("listen(self.request_queue_size)",)),
)


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from werkzeug.serving import BaseWSGIServer

    set_attr(BaseWSGIServer, "request_queue_size", BACKLOG)
