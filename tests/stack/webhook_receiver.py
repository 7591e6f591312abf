#!/usr/bin/env python3
"""A webhook receiver for the stack tests: prints what Alertmanager sends it.

Usage: webhook_receiver.py PORT   (listens on 127.0.0.1:PORT, prints to stdout)

For every notification (one POST: one alert group, one receiver integration)
one line "notification PATH ALERTNAME STATUS N" (N alerts in it), then one
line "PATH ALERTNAME STATUS" for each alert in it. Webhook bodies carry
"alerts"; Slack messages carry the title "[FIRING] AlertName" and a text with
one "(runbook: ...)" per alert (the stack's template), each alert line then
with the title's status. Counting the notification lines of a group tells whether a
clustered pair of Alertmanagers sent it once.
"""
import http.server
import json
import sys


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        alerts = [(a["labels"]["alertname"], a["status"]) for a in body.get("alerts", [])]
        for att in body.get("attachments", []):
            status, _, name = att.get("title", "").partition(" ")
            count = max(1, att.get("text", "").count("(runbook: "))
            alerts += [(name, status.strip("[]").lower())] * count
        group = body.get("commonLabels", {}).get("alertname") or (alerts[0][0] if alerts else "?")
        status = body.get("status") or (alerts[0][1] if alerts else "?")
        lines = [f"notification {self.path} {group} {status} {len(alerts)}"]
        lines += [f"{self.path} {name} {state}" for name, state in alerts]
        print("\n".join(lines), flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
