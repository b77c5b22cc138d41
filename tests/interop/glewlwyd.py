#!/usr/bin/env python3
"""glewlwyd.py - a second, different real OpenID provider for the interop
suite: Debian's Glewlwyd (C, sqlite backend), on 127.0.0.1.

  glewlwyd.py init DIR PORT       database, keys and configuration in DIR
  glewlwyd.py provision DIR PORT  waits for the server, then creates through
                                  the admin API what tokengate needs
  glewlwyd.py token PORT PLUGIN CLIENT USER PASSWORD SCOPE
                                  a password grant; prints the JSON answer
  glewlwyd.py approve PORT PLUGIN CLIENT USER PASSWORD SCOPE USER_CODE
                                  what a person does at the device page: log
                                  in, grant the scope to the client, confirm

Only the standard library; every request is bounded by a timeout.
"""
import base64
import gzip
import http.cookiejar
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

INIT_SQL = "/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz"
# The administrator init.sqlite3.sql creates (Debian's documented default).
ADMIN = ("admin", "password")
CLIENT_SECRET = "linux-hosts-secret"
USERS = {  # name: (password, scopes)
    "alice": ("alice-pw-1", ["openid", "linux-hosts"]),
    "bob": ("bob-pw-2", ["openid", "linux-hosts"]),
    "carol": ("carol-pw-3", ["openid"]),  # not allowed on the hosts
}


def base(port):
    return "http://127.0.0.1:%s/api" % port


def opener():
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        NoRedirect())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(op, method, url, body=None, form=None, auth=None):
    """(status, headers, body bytes); never raises for an HTTP status."""
    data, headers = None, {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % auth).encode()).decode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with op.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def must(what, res, ok=(200,)):
    if res[0] not in ok:
        sys.exit("glewlwyd: %s: HTTP %d %s" % (what, res[0], res[2][:300]))
    return res


def init(d, port):
    os.makedirs(d, exist_ok=True)
    db = os.path.join(d, "glewlwyd.db")
    with gzip.open(INIT_SQL, "rt") as f:
        sql = f.read()
    con = sqlite3.connect(db)
    con.executescript(sql)
    con.commit()
    con.close()
    for name, args in (("rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
                       ("ec", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])):
        key = os.path.join(d, name + ".key")
        subprocess.run(["openssl", "genpkey", *args, "-out", key], check=True,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out",
                        os.path.join(d, name + ".pub")], check=True)
    # Only what differs from the built-in defaults. No use_secure_connection
    # line at all: 2.7.5 then insists on certificate files even for false.
    conf = """port=%(port)s
bind_address="127.0.0.1"
external_url="http://127.0.0.1:%(port)s"
login_url="login.html"
api_prefix="api"
log_mode="file"
log_level="INFO"
log_file="%(d)s/glewlwyd.log"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3"; path = "%(db)s"; };
""" % {"port": port, "d": d, "db": db}
    with open(os.path.join(d, "glewlwyd.conf"), "w") as f:
        f.write(conf)


def plugin(d, port, name, jwt_type, keyfile):
    with open(os.path.join(d, keyfile + ".key")) as f:
        key = f.read()
    with open(os.path.join(d, keyfile + ".pub")) as f:
        pub = f.read()
    return {
        "module": "oidc", "name": name, "display_name": name, "enabled": True,
        "parameters": {
            "iss": "%s/%s" % (base(port), name),
            "jwt-type": jwt_type, "jwt-key-size": "256", "key": key, "cert": pub,
            "access-token-duration": 3600, "refresh-token-duration": 1209600,
            "code-duration": 600, "refresh-token-rolling": True,
            "allow-non-oidc": True, "auth-type-code-enabled": True,
            "auth-type-token-enabled": False, "auth-type-id-token-enabled": True,
            "auth-type-password-enabled": True, "auth-type-client-enabled": True,
            "auth-type-device-enabled": True, "auth-type-refresh-enabled": True,
            "introspection-revocation-allowed": True,
            "introspection-revocation-allow-target-client": True,
            "jwks-show": True,
            # Glewlwyd's access tokens carry no user name by default: add
            # the user's name as preferred_username (tokengate's default
            # username_claim).
            "additional-parameters": [
                {"user-parameter": "username", "token-parameter": "preferred_username"}],
        },
    }


def provision(d, port):
    g = base(port)
    op = opener()
    deadline = time.monotonic() + 15
    while True:  # up when discovery answers (it starts in well under 1 s)
        try:
            if call(op, "GET", g + "/")[0] in (200, 404):
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit("glewlwyd: did not start")
        time.sleep(0.1)
    must("admin login", call(op, "POST", g + "/auth/",
                             {"username": ADMIN[0], "password": ADMIN[1]}))
    # Glewlwyd's access tokens carry the granted scope list as "aud": a
    # scope named after the hosts is the audience, granted only to the
    # people who may log in to them.
    must("scope", call(op, "POST", g + "/scope/", {
        "name": "linux-hosts", "display_name": "Linux hosts",
        "description": "Log in to the Linux hosts", "password_required": False}))
    for name, jwt_type, keyfile in (("oidc", "rsa", "rsa"), ("oidc-ec", "ecdsa", "ec")):
        must("plugin " + name, call(op, "POST", g + "/mod/plugin/",
                                    plugin(d, port, name, jwt_type, keyfile)))
    for user, (pw, scopes) in USERS.items():
        must("user " + user, call(op, "POST", g + "/user/", {
            "username": user, "password": pw, "name": user.title(),
            "email": user + "@example.test", "scope": scopes, "enabled": True}))
    for client, types in (("linux-hosts", ["password", "refresh_token",
                                           "device_authorization", "client_credentials"]),
                          ("other-app", ["password", "refresh_token"])):
        # token_endpoint_auth_method is required in 2.7.5: without it
        # every grant of a confidential client is a 500.
        must("client " + client, call(op, "POST", g + "/client/", {
            "client_id": client, "name": client, "confidential": True,
            "client_secret": CLIENT_SECRET,
            "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"],
            "authorization_type": types, "scope": [], "enabled": True}))
    print("glewlwyd: provisioned at %s" % g)


def token(port, plugin_name, client, user, password, scope):
    res = call(opener(), "POST", "%s/%s/token" % (base(port), plugin_name),
               form={"grant_type": "password", "username": user,
                     "password": password, "scope": scope},
               auth=(client, CLIENT_SECRET))
    sys.stdout.write(res[2].decode() or "{}")
    print()
    return 0 if res[0] == 200 else 1


def approve(port, plugin_name, client, user, password, scope, user_code):
    g = base(port)
    op = opener()
    must("user login", call(op, "POST", g + "/auth/",
                            {"username": user, "password": password}))
    must("grant", call(op, "PUT", "%s/auth/grant/%s" % (g, client), {"scope": scope}))
    st, hdrs, _ = call(op, "GET", "%s/%s/device?code=%s&g_continue" % (
        g, plugin_name, urllib.parse.quote(user_code)))
    loc = hdrs.get("Location", "")
    print("device page: HTTP %d -> %s" % (st, loc))
    return 0 if st == 302 and "prompt=deviceComplete" in loc else 1


def main(argv):
    if len(argv) >= 4 and argv[1] == "init":
        init(argv[2], argv[3])
    elif len(argv) >= 4 and argv[1] == "provision":
        provision(argv[2], argv[3])
    elif len(argv) == 8 and argv[1] == "token":
        return token(*argv[2:])
    elif len(argv) == 9 and argv[1] == "approve":
        return approve(*argv[2:])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
