#!/usr/bin/env python3
"""fleet.py - the controller's side of the cfir plays: what came home from
every host, merged into one place.

  fleet.py triage FLEET_DIR STATES_JSON [FAIL_ON]
      FLEET_DIR/<host>/findings.jsonl (cfir --format json hunt, as the host
      wrote it) -> FLEET_DIR/findings.jsonl (each finding with "host"),
      FLEET_DIR/findings.txt (a table, worst first, then a line for each
      host that did not answer) and FLEET_DIR/summary.json. Prints a JSON
      object: the hosts with a finding at or above FAIL_ON.
  fleet.py collect FLEET_DIR STATES_JSON
      FLEET_DIR/summary.json from the hosts' states and each archive's
      checks.

STATES_JSON: a list of {"host", "status" (ok, failed, unreachable), "error",
and for collect "archives": [{"tar", "sha256", "verify", "sign"}]}.
Everything from a host is untrusted: names are escaped in the table.
"""
import json
import os
import sys

RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def printable(s):
    """A host-controlled string for one table cell: no control characters,
    no spaces that would shift the columns."""
    out = []
    for ch in str(s):
        if ch.isprintable() and not ch.isspace():
            out.append(ch)
        elif ch == " ":
            out.append("\\x20")
        else:
            out.append("\\u{%x}" % ord(ch))
    return "".join(out) or "-"


def atomic_write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def read_findings(path):
    found = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and obj.get("type") == "finding":
                found.append(obj)
    return found


def triage(fleet, states, fail_on):
    lines, rows, summary = [], [], []
    worst_allowed = RANK.get(fail_on) if fail_on else None
    failing = []
    for st in states:
        host = st["host"]
        entry = {"host": host, "status": st["status"], "error": st.get("error") or None}
        if st["status"] == "ok":
            path = os.path.join(fleet, host, "findings.jsonl")
            try:
                found = read_findings(path)
            except OSError as e:
                found = []
                entry["status"], entry["error"] = "failed", "no findings came home: %s" % e
            counts = {s: 0 for s in RANK}
            for f in found:
                f = dict(f)
                f["host"] = host
                lines.append(json.dumps(f, sort_keys=False))
                sev = f.get("severity")
                if sev in counts:
                    counts[sev] += 1
                rows.append((RANK.get(sev, 9), host, f.get("name") or f.get("container", "")[:12],
                             sev or "?", f.get("check", "?")))
            entry["findings"] = len(found)
            entry["counts"] = counts
            worst = [s for s in RANK if counts[s]]
            entry["highest"] = worst[0] if worst else None
            if worst_allowed is not None and worst and RANK[worst[0]] <= worst_allowed:
                failing.append(host)
        summary.append(entry)

    rows.sort()
    table = [("HOST", "CONTAINER", "SEVERITY", "CHECK")]
    table += [(printable(h), printable(c), printable(s), printable(k)) for _, h, c, s, k in rows]
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    text = []
    for r in table:
        text.append("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3])
    for e in summary:
        if e["status"] != "ok":
            text.append("host %s: %s: %s" % (printable(e["host"]), e["status"],
                                             " ".join(str(e["error"] or "").split())))
    atomic_write(os.path.join(fleet, "findings.jsonl"), "".join(l + "\n" for l in lines))
    atomic_write(os.path.join(fleet, "findings.txt"), "\n".join(text) + "\n")
    atomic_write(os.path.join(fleet, "summary.json"),
                 json.dumps({"play": "triage", "fail_on": fail_on or None, "hosts": summary,
                             "failing": failing}, indent=1) + "\n")
    return {"failing": failing,
            "down": [e["host"] for e in summary if e["status"] != "ok"],
            "findings": len(lines)}


def collect(fleet, states):
    summary = []
    for st in states:
        entry = {"host": st["host"], "status": st["status"], "error": st.get("error") or None,
                 "archives": st.get("archives") or []}
        for a in entry["archives"]:
            a["ok"] = all(a.get(k) == "ok" for k in ("sha256", "verify", "sign"))
            if not a["ok"] and entry["status"] == "ok":
                entry["status"], entry["error"] = "failed", "an archive failed its checks"
        summary.append(entry)
    atomic_write(os.path.join(fleet, "summary.json"),
                 json.dumps({"play": "collect", "hosts": summary}, indent=1) + "\n")
    return {"failed": [e["host"] for e in summary if e["status"] != "ok"]}


def main(argv):
    if len(argv) < 4 or argv[1] not in ("triage", "collect"):
        sys.stderr.write(__doc__)
        return 64
    fleet = argv[2]
    with open(argv[3], encoding="utf-8") as f:
        states = json.load(f)
    os.makedirs(fleet, exist_ok=True)
    if argv[1] == "triage":
        fail_on = argv[4] if len(argv) > 4 and argv[4] else None
        if fail_on is not None and fail_on not in RANK:
            sys.stderr.write("fleet.py: no such severity: %s\n" % fail_on)
            return 64
        res = triage(fleet, states, fail_on)
    else:
        res = collect(fleet, states)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
