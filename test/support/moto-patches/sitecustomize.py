"""Loaded by the moto_server the tests start (PYTHONPATH points here).

moto 5.2 implements only two ACM Private CA templates (RootCACertificate/V1 and
EndEntityCertificate/V1); for every other template it copies the CSR's subject alternative
names and nothing else. kong-fleet issues leaves with
BlankEndEntityCertificate_APICSRPassthrough/V1, which AWS documents as: basicConstraints
CA:FALSE, authority key identifier from the CA, subject key identifier from the CSR, and every
other extension passed through from the CSR. This file adds exactly that template behaviour to
moto so the tests can check the key usages, EKU and SANs of the certificates the handler gets.
It changes nothing else.
"""

try:
    from cryptography import x509
    from moto.acmpca import models as _acmpca

    _original = _acmpca.CertificateAuthority._x509_extensions
    _PASSTHROUGH = (
        "template/BlankEndEntityCertificate_APICSRPassthrough/V1",
        "template/BlankEndEntityCertificate_CSRPassthrough/V1",
    )

    def _x509_extensions(self, csr, template_arn):
        if not (template_arn or "").endswith(_PASSTHROUGH):
            return _original(self, csr, template_arn)
        extensions = [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False),
            (x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), False),
        ]
        for extension in csr.extensions:
            if extension.oid in (
                x509.ExtensionOID.BASIC_CONSTRAINTS,
                x509.ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
                x509.ExtensionOID.SUBJECT_KEY_IDENTIFIER,
            ):
                continue
            extensions.append((extension.value, extension.critical))
        return extensions

    _acmpca.CertificateAuthority._x509_extensions = _x509_extensions
except Exception as error:  # never stop moto from starting; the tests would then see the gap
    import sys

    print(f"kong-fleet moto patch not applied: {error!r}", file=sys.stderr)
