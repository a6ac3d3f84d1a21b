#!/usr/bin/env python3
"""requestsink.py PORT LOG: an HTTP proxy that answers nothing and writes
every request it gets (method and URL) as a line of LOG; a browser pointed
at it shows which loads a page tried."""
import http.server
import sys


class Sink(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def any(self):
        with open(sys.argv[2], "a", encoding="utf-8") as f:
            f.write(self.command + " " + self.path + "\n")
        self.send_response(404)
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_PUT = do_CONNECT = do_OPTIONS = any


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
