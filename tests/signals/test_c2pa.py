"""Tests for rightsguard.signals.c2pa on files signed here with c2pa-python's Builder and a test
certificate chain generated offline with ``cryptography`` (no network, no trust list)."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from rightsguard.model import RightsSignal
from rightsguard.signals import c2pa as rg_c2pa

_NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "rightsguard tests")])


def _key_usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


def make_chain() -> tuple[bytes, bytes]:
    """A CA + end-entity chain (PEM) and the end-entity key (PKCS#8 PEM), ES256, built with the
    extensions C2PA's certificate profile asks for (C2PA 2.1 §14.5.1: digitalSignature key
    usage, an allowed EKU — emailProtection —, not a CA)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("rightsguard test CA"))
          .issuer_name(_name("rightsguard test CA")).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(_NOT_BEFORE)
          .not_valid_after(_NOT_BEFORE + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_key_usage(sign=False, ca=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name("rightsguard test signer"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(2).not_valid_before(_NOT_BEFORE)
            .not_valid_after(_NOT_BEFORE + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(sign=True, ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + ca.public_bytes(pem)
    private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return chain, private



def signed_jpeg(label: str, entries: dict[str, Any]) -> bytes:
    """An 8×8 JPEG with a signed C2PA manifest holding ``{label: {"entries": entries}}``
    (and the ``c2pa.created`` action C2PA 2.x requires first). No thumbnail, no TSA."""
    chain, private = make_chain()
    source = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(source, "JPEG")
    manifest = {
        "claim_generator_info": [{"name": "rightsguard-tests", "version": "1"}],
        "title": "test.jpg",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType":
                    "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}},
            {"label": label, "data": {"entries": entries}},
        ],
    }
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}},
                                      **rg_c2pa.READER_SETTINGS})
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, private, None))
    out = io.BytesIO()
    with c2pa.Builder(manifest, context=context) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(source.getvalue()), out)
    return out.getvalue()


CAWG_ENTRIES = {
    "cawg.ai_training": {"use": "notAllowed"},
    "cawg.ai_generative_training": {"use": "constrained",
                                    "constraint_info": "https://example.com/licensing"},
    "cawg.data_mining": {"use": "allowed"},
    "cawg.ai_inference": {"use": "constrained"},
}


def _by_scope(signals: list[RightsSignal]) -> dict[str, tuple[str, str]]:
    return {s.scope: (s.value, s.state) for s in signals}


def test_cawg_training_mining_from_a_signed_jpeg() -> None:
    content = signed_jpeg("cawg.training-mining", CAWG_ENTRIES)
    signals = rg_c2pa.c2pa_signals(content, "image/jpeg", "imgs/signed.jpg")
    assert _by_scope(signals) == {
        "train-ai": ("notAllowed", "reserved"),
        "train-genai": ("constrained: https://example.com/licensing", "unknown"),
        "tdm": ("allowed", "not-reserved"),
        "ai-inference": ("constrained (no constraint_info: treated as notAllowed)", "reserved"),
    }
    assert {s.kind for s in signals} == {"c2pa-training-mining"}
    assert {s.carrier for s in signals} == {"c2pa-manifest"}
    assert {s.extractor for s in signals} == {"rightsguard.signals.c2pa"}
    ev = next(s.evidence for s in signals if s.scope == "train-ai")
    # the test signer is not on a trust list: the claim is intact but untrusted → "Valid"
    # (c2pa-rs reports trust separately as signingCredential.untrusted)
    assert ev.startswith("imgs/signed.jpg: C2PA manifest urn:c2pa:")
    assert ev.endswith("(validation Valid) cawg.training-mining cawg.ai_training.use=notAllowed")


def test_c2pa_1x_label_and_entries() -> None:
    content = signed_jpeg("c2pa.training-mining", {
        "c2pa.ai_generative_training": {"use": "notAllowed"},
        "c2pa.data_mining": {"use": "allowed"},
    })
    signals = rg_c2pa.c2pa_signals(content, None, "x.jpg")  # format detected from the bytes
    assert _by_scope(signals) == {"train-genai": ("notAllowed", "reserved"),
                                  "tdm": ("allowed", "not-reserved")}


def test_no_manifest_no_signal() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    assert rg_c2pa.c2pa_signals(out.getvalue(), "image/jpeg", "plain.jpg") == []
    assert rg_c2pa.c2pa_signals(b"<p>about c2pa</p>", "text/html", "page.html") == []


def test_broken_manifest_is_unknown_unreadable() -> None:
    content = bytearray(signed_jpeg("cawg.training-mining", CAWG_ENTRIES))
    sig = content.find(b"c2pa.signature")
    content[sig + 100:sig + 400] = b"\xff" * 300
    [signal] = rg_c2pa.c2pa_signals(bytes(content), "image/jpeg", "broken.jpg")
    assert signal.state == "unknown"
    assert signal.value.startswith("unreadable C2PA manifest: ")
    assert signal.evidence == "broken.jpg"


def test_altered_image_keeps_the_assertion_and_says_invalid() -> None:
    content = bytearray(signed_jpeg("cawg.training-mining", {"cawg.ai_training":
                                                              {"use": "notAllowed"}}))
    content[-200:-100] = b"\x11" * 100  # pixels changed after signing
    [signal] = rg_c2pa.c2pa_signals(bytes(content), "image/jpeg", "edited.jpg")
    assert (signal.value, signal.state) == ("notAllowed", "reserved")
    assert "(validation Invalid)" in signal.evidence


def test_reader_settings_turn_remote_fetching_off() -> None:
    assert rg_c2pa.READER_SETTINGS["verify"]["remote_manifest_fetch"] is False
    with c2pa.Context.from_dict(rg_c2pa.READER_SETTINGS) as context:  # accepted by c2pa-rs
        assert context.is_valid


# -- mapping on the JSON c2pa-python's Reader returns -----------------------------------------


def test_mapping_on_reader_json() -> None:
    manifest = json.loads("""{
      "label": "urn:c2pa:1",
      "assertions": [
        {"label": "c2pa.actions.v2", "data": {"actions": []}},
        {"label": "cawg.training-mining.v2", "data": {"entries": {
            "cawg.ai_training": {"use": "constrained", "constraints_info": "ask first"},
            "com.example.custom": {"use": "notAllowed"},
            "cawg.data_mining": {"use": "sometimes"},
            "cawg.ai_inference": "notAllowed"}}},
        {"label": "c2pa.training-mining", "data": {}}
      ]}""")
    signals = rg_c2pa.training_mining_signals(manifest, "m")
    assert [(s.scope, s.value, s.state) for s in signals] == [
        ("train-ai", "constrained: ask first", "unknown"),
        ("com.example.custom", "notAllowed", "reserved"),
        ("tdm", "unrecognised use 'sometimes'", "unknown"),
        ("ai-inference", 'malformed entry cawg.ai_inference: "notAllowed"', "unknown"),
        ("*", "malformed c2pa.training-mining: no entries map", "unknown"),
    ]
    assert signals[0].evidence == "m cawg.training-mining.v2 cawg.ai_training.use=constrained"


@pytest.mark.parametrize("manifest", [{}, {"assertions": "x"}, {"assertions": [1, None]}])
def test_mapping_ignores_manifests_without_assertions(manifest: dict[str, Any]) -> None:
    assert rg_c2pa.training_mining_signals(manifest, "m") == []
