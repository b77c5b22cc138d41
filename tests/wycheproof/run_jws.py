#!/usr/bin/env python3
"""Wycheproof JWS and JWK vectors through `tokengatectl validate --signature-only`.

Every invalid vector must be rejected (exit 1; exit 2 is counted when the key
set itself cannot be read). Every valid vector whose alg tokengate supports
and whose key carries that alg must be accepted (exit 0). Other valid vectors
(HS256, RS384, ES512, ...) must be rejected, never crash.
"""
import json
import os
import subprocess
import sys
import tempfile

SUPPORTED = {"RS256", "PS256", "ES256", "EdDSA"}


def header_of(jws):
    import base64
    try:
        seg = jws.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))
    except Exception:
        return {}


def key_alg_for(keyset, hdr):
    for k in (keyset or {}).get("keys", []):
        if k.get("kid") == hdr.get("kid") or "kid" not in hdr:
            return k.get("alg")
    return None


def run(ctl, path, tmp):
    doc = json.load(open(path))
    stats = dict(vectors=0, invalid_rejected=0, invalid_keyset_refused=0,
                 valid_accepted=0, valid_unsupported_rejected=0, failures=0)
    for gi, g in enumerate(doc["testGroups"]):
        keyset = g.get("public") or g.get("private")
        if isinstance(keyset, dict) and "keys" not in keyset:
            keyset = {"keys": [keyset]}  # the JWS file gives a single JWK
        kf = os.path.join(tmp, "g%d.jwks" % gi)
        with open(kf, "w") as f:
            json.dump(keyset if isinstance(keyset, dict) else {"keys": []}, f)
        os.chmod(kf, 0o600)
        for t in g["tests"]:
            stats["vectors"] += 1
            jws = t["jws"] if isinstance(t["jws"], str) else json.dumps(t["jws"])
            p = subprocess.run([ctl, "validate", "--signature-only", "--jwks", kf, "-"],
                               input=jws.encode(), capture_output=True, timeout=20)
            rc = p.returncode
            hdr = header_of(jws) if isinstance(t["jws"], str) else {}
            alg = hdr.get("alg")
            ok = False
            if rc not in (0, 1, 2):
                why = "crashed (exit %d)" % rc
            elif t["result"] == "invalid":
                ok = rc != 0
                if rc == 1:
                    stats["invalid_rejected"] += 1
                elif rc == 2:
                    stats["invalid_keyset_refused"] += 1
                why = "invalid vector accepted"
            elif alg in SUPPORTED and key_alg_for(keyset, hdr) == alg:
                ok = rc == 0
                stats["valid_accepted"] += ok
                why = "valid vector rejected: " + p.stderr.decode().strip()
            else:
                ok = rc == 1
                stats["valid_unsupported_rejected"] += ok
                why = "unsupported alg %s not cleanly rejected (exit %d)" % (alg, rc)
            if not ok:
                stats["failures"] += 1
                print("  FAIL %s tcId %s (%s): %s" % (os.path.basename(path), t["tcId"],
                                                      t["comment"], why))
    return stats


def main():
    ctl, vectors = sys.argv[1], sys.argv[2]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("json_web_signature_test.json", "json_web_key_test.json"):
            s = run(ctl, os.path.join(vectors, name), tmp)
            failures += s["failures"]
            print("  %-30s %d vectors: %d invalid rejected (+%d by key set), "
                  "%d valid accepted, %d valid with unsupported alg rejected, %d failures"
                  % (name, s["vectors"], s["invalid_rejected"], s["invalid_keyset_refused"],
                     s["valid_accepted"], s["valid_unsupported_rejected"], s["failures"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
