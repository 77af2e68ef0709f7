"""Test credentials for .ci/oci-clients.sh: API key pairs, a resource-principal key pair and a fake RPST.

Usage: python make_keys.py DIR TENANCY_OCID COMPARTMENT_OCID
Writes into DIR:
  api_key.pem / api_pub.pem          the API key the emulator trusts
  other_key.pem / other_pub.pem      a key the emulator does not trust
  rp_key.pem / rp_pub.pem            the resource principal's session key pair
  rpst                               a fake resource-principal session token (an unsigned-looking JWT, exp in 1 h)
  other_rpst                         another such token the emulator does not know
and prints shell assignments: API_FP=... OTHER_FP=... (OCI fingerprints: MD5 of the DER SubjectPublicKeyInfo).
"""

import base64
import hashlib
import json
import os
import secrets
import sys
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def write_pair(directory, stem_private, stem_public):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key()
    public_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    public_der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    for name, data in ((stem_private, private_pem), (stem_public, public_pem)):
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o600)
    digest = hashlib.md5(public_der).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_rpst(tenancy, compartment):
    now = int(time.time())
    header = {"alg": "RS256", "kid": "asw", "typ": "JWT"}
    claims = {
        "sub": "ocid1.containerinstance.oc1..galleyemulatortest",
        "res_type": "containerinstance",
        "res_tenant": tenancy,
        "res_compartment": compartment,
        "ttype": "res",
        "iss": "authService.oracle.com",
        "aud": "oci",
        "iat": now,
        "exp": now + 3600,
        "jti": secrets.token_hex(16),
    }
    parts = [b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), b64url(secrets.token_bytes(64))]
    return ".".join(parts)


def main():
    directory, tenancy, compartment = sys.argv[1:4]
    api_fp = write_pair(directory, "api_key.pem", "api_pub.pem")
    other_fp = write_pair(directory, "other_key.pem", "other_pub.pem")
    write_pair(directory, "rp_key.pem", "rp_pub.pem")
    for name in ("rpst", "other_rpst"):
        with open(os.path.join(directory, name), "w") as f:
            f.write(fake_rpst(tenancy, compartment))
    print(f"API_FP={api_fp}")
    print(f"OTHER_FP={other_fp}")


if __name__ == "__main__":
    main()
