#!/usr/bin/python3
"""Microsoft's own Python SDK (Debian's python3-azure) against the stand-in, with default settings:
SecretClient, KeyClient and CertificateClient signed in by azure-identity's ClientSecretCredential,
through the stand-in's CONNECT proxy with real vault host names (https://<vault>.vault.azure.net).
Each kind goes through set or create, list with paging, backup, delete, purge, restore and get,
plus the 409 and 404 cases.  Where the SDK raises, the stand-in is wrong."""
import base64
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sdk_common import Emulator, Tap  # noqa: E402

SECRET_HEADER = b')AzureKeyVaultSecretBackupV1.microsoft.com'
KEY_HEADER = b'&AzureKeyVaultKeyBackupV1.microsoft.com'


def retry_conflict(call, seconds=15):
    """Restore right after a purge meets 409 "being deleted", as with Azure; SDK users retry."""
    from azure.core.exceptions import ResourceExistsError
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except ResourceExistsError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def expect(exc_type, call):
    try:
        call()
    except exc_type as e:
        return e
    raise AssertionError('expected %s' % exc_type.__name__)


def secrets_cycle(vault_url, cred, tap):
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
    from azure.keyvault.secrets import SecretClient

    c = SecretClient(vault_url, cred)
    s1 = c.set_secret('sdk-secret', 'v1', content_type='text/plain', tags={'env': 'test'})
    s2 = c.set_secret('sdk-secret', 'v2')
    tap.check(s1.name == 'sdk-secret' and s1.properties.version and s2.properties.version != s1.properties.version,
              'secrets: set twice gives two versions', (s1.id, s2.id))
    got = c.get_secret('sdk-secret')
    tap.check(got.value == 'v2' and got.properties.enabled, 'secrets: get returns the latest value')
    first = c.get_secret('sdk-secret', s1.properties.version)
    tap.check(first.value == 'v1' and first.properties.content_type == 'text/plain', 'secrets: get by version')
    pages = list(c.list_properties_of_secrets(max_page_size=7).by_page())
    names = [p.name for page in pages for p in page]
    tap.check(len(pages) >= 10 and 'sdk-secret' in names and len(names) >= 60 and len(set(names)) == len(names),
              'secrets: list with paging (%d items over %d pages)' % (len(names), len(pages)))
    unpaged = list(c.list_properties_of_secrets())
    tap.check(len(unpaged) == len(names), 'secrets: list without max_page_size follows nextLink to the end')
    versions = list(c.list_properties_of_secret_versions('sdk-secret'))
    tap.check(len(versions) == 2, 'secrets: list versions')
    blob = c.backup_secret('sdk-secret')
    tap.check(isinstance(blob, bytes) and blob.startswith(SECRET_HEADER), 'secrets: backup blob has the real header',
              blob[:60])
    deleted = c.begin_delete_secret('sdk-secret').result()
    tap.check(deleted.recovery_id is not None and deleted.deleted_date is not None, 'secrets: delete (soft)')
    poller_wait = time.monotonic()
    dsecret = None
    while time.monotonic() - poller_wait < 15:
        try:
            dsecret = c.get_deleted_secret('sdk-secret')
            break
        except ResourceNotFoundError:
            time.sleep(0.3)
    tap.check(dsecret is not None and dsecret.name == 'sdk-secret', 'secrets: get deleted after the delete settles')
    e = expect(ResourceExistsError, lambda: c.set_secret('sdk-secret', 'v3'))
    tap.check('ObjectIsDeletedButRecoverable' in str(e) or 'deleted but recoverable' in str(e),
              'secrets: set on a soft-deleted name raises ResourceExistsError (409)', str(e)[:300])
    e = expect(ResourceExistsError, lambda: c.restore_secret_backup(blob))
    tap.check(True, 'secrets: restore onto a soft-deleted name raises ResourceExistsError (409)')
    c.purge_deleted_secret('sdk-secret')
    tap.check(True, 'secrets: purge')
    restored = retry_conflict(lambda: c.restore_secret_backup(blob))
    tap.check(restored.name == 'sdk-secret' and restored.version == s2.properties.version,
              'secrets: restore keeps name and version ids', restored.id)
    again = c.get_secret('sdk-secret')
    tap.check(again.value == 'v2', 'secrets: get after restore')
    e = expect(ResourceExistsError, lambda: c.restore_secret_backup(blob))
    tap.check(getattr(e, 'status_code', None) == 409, 'secrets: restore onto a live name raises 409')
    e = expect(ResourceNotFoundError, lambda: c.get_secret('sdk-missing'))
    tap.check('SecretNotFound' in str(e), 'secrets: missing secret raises ResourceNotFoundError (404 SecretNotFound)',
              str(e)[:300])
    e = expect(ResourceNotFoundError, lambda: c.backup_secret('sdk-missing'))
    tap.check(True, 'secrets: backup of a missing secret raises ResourceNotFoundError')


def recover_and_forbidden(vault_url, cred, tap, emu):
    from azure.core.exceptions import HttpResponseError
    from azure.identity import ClientSecretCredential
    from azure.keyvault.secrets import SecretClient

    c = SecretClient(vault_url, cred)
    c.set_secret('sdk-recover', 'r1')
    c.begin_delete_secret('sdk-recover').wait()
    recovered = c.begin_recover_deleted_secret('sdk-recover').result()
    tap.check(recovered.name == 'sdk-recover', 'secrets: recover a deleted secret')
    deadline = time.monotonic() + 15
    while True:    # the recovered secret reads 404 for a moment, as with Azure
        try:
            value = c.get_secret('sdk-recover').value
            break
        except HttpResponseError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    tap.check(value == 'r1', 'secrets: the recovered secret is readable again')

    # A service principal with list rights only (test seed), on an RBAC and an access-policy vault.
    reader = ClientSecretCredential(emu.info['tenant'], '2b7d6c4e-0000-4000-8000-00000000d002', 'test-only-secret-2')
    rbac = SecretClient(vault_url, reader)
    tap.check(len(list(rbac.list_properties_of_secrets())) > 0, 'forbidden: listing is allowed')
    e = expect(HttpResponseError, lambda: rbac.get_secret('db-password'))
    tap.check(e.status_code == 403 and 'ForbiddenByRbac' in str(e), 'forbidden: get on an RBAC vault raises 403 ForbiddenByRbac',
              str(e)[:300])
    policy = SecretClient(vault_url.replace('kvb-weu', 'kvb-neu'), reader)
    e = expect(HttpResponseError, lambda: policy.get_secret('anything'))
    tap.check(e.status_code == 403 and 'ForbiddenByPolicy' in str(e) and 'secrets get' in str(e),
              'forbidden: get on an access-policy vault raises 403 ForbiddenByPolicy naming the permission', str(e)[:300])


def keys_cycle(vault_url, cred, tap):
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
    from azure.keyvault.keys import KeyClient

    c = KeyClient(vault_url, cred)
    rsa = c.create_rsa_key('sdk-rsa', size=2048)
    ec = c.create_ec_key('sdk-ec', curve='P-256')
    tap.check(rsa.key_type == 'RSA' and rsa.key.n and ec.key.crv == 'P-256', 'keys: create RSA and EC')
    c.create_ec_key('sdk-ec', curve='P-256')
    pages = list(c.list_properties_of_keys(max_page_size=2).by_page())
    names = [k.name for page in pages for k in page]
    tap.check(len(pages) >= 2 and {'sdk-rsa', 'sdk-ec'} <= set(names), 'keys: list with paging (%d pages)' % len(pages))
    versions = list(c.list_properties_of_key_versions('sdk-ec'))
    tap.check(len(versions) == 2, 'keys: list versions')
    blob = c.backup_key('sdk-ec')
    tap.check(blob.startswith(KEY_HEADER), 'keys: backup blob has the real header', blob[:60])
    c.begin_delete_key('sdk-ec').wait()
    tap.check(c.get_deleted_key('sdk-ec').name == 'sdk-ec', 'keys: delete and wait, get deleted')
    e = expect(ResourceExistsError, lambda: c.create_ec_key('sdk-ec'))
    tap.check('ObjectIsDeletedButRecoverable' in str(e), 'keys: create on a soft-deleted name raises 409', str(e)[:300])
    c.purge_deleted_key('sdk-ec')
    restored = retry_conflict(lambda: c.restore_key_backup(blob))
    tap.check(restored.name == 'sdk-ec' and restored.key.kid and restored.key_type == 'EC', 'keys: restore after purge')
    tap.check(c.get_key('sdk-ec').id == restored.id, 'keys: get after restore')
    e = expect(ResourceExistsError, lambda: c.restore_key_backup(blob))
    tap.check(getattr(e, 'status_code', None) == 409, 'keys: restore onto a live name raises 409')
    e = expect(ResourceNotFoundError, lambda: c.get_key('sdk-missing'))
    tap.check('KeyNotFound' in str(e), 'keys: missing key raises ResourceNotFoundError (404 KeyNotFound)')


def certificates_cycle(vault_url, cred, tap):
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
    from azure.keyvault.certificates import CertificateClient, CertificatePolicy

    c = CertificateClient(vault_url, cred)
    poller = c.begin_create_certificate('sdk-cert', CertificatePolicy.get_default(), _polling_interval=0.3)
    cert = poller.result()
    tap.check(cert.name == 'sdk-cert' and cert.cer and cert.properties.x509_thumbprint,
              'certificates: create (self-signed, pending operation, then completed)')
    policy = c.get_certificate_policy('sdk-cert')
    tap.check(policy.subject == 'CN=DefaultPolicy' and policy.issuer_name == 'Self', 'certificates: get policy')
    pages = list(c.list_properties_of_certificates(max_page_size=1).by_page())
    names = [p.name for page in pages for p in page]
    tap.check('sdk-cert' in names and len(pages) >= 2, 'certificates: list with paging (%d pages)' % len(pages))
    blob = c.backup_certificate('sdk-cert')
    tap.check(blob.startswith(KEY_HEADER), 'certificates: backup blob carries the Key header, as Azure\'s do', blob[:60])
    c.begin_delete_certificate('sdk-cert').wait()
    tap.check(c.get_deleted_certificate('sdk-cert').name == 'sdk-cert', 'certificates: delete and wait, get deleted')
    c.purge_deleted_certificate('sdk-cert')
    restored = retry_conflict(lambda: c.restore_certificate_backup(blob))
    tap.check(restored.name == 'sdk-cert' and restored.cer == cert.cer, 'certificates: restore after purge')
    tap.check(c.get_certificate('sdk-cert').properties.version == cert.properties.version,
              'certificates: get after restore keeps the version')
    e = expect(ResourceExistsError, lambda: c.restore_certificate_backup(blob))
    tap.check(getattr(e, 'status_code', None) == 409, 'certificates: restore onto a live name raises 409')
    e = expect(ResourceNotFoundError, lambda: c.get_certificate('sdk-missing'))
    tap.check('CertificateNotFound' in str(e), 'certificates: missing certificate raises 404 CertificateNotFound')

    # The certificate's secret is its PFX; importing those bytes makes the same certificate.
    from azure.keyvault.secrets import SecretClient
    pfx = base64.b64decode(SecretClient(vault_url, cred).get_secret('sdk-cert').value)
    imported = c.import_certificate('sdk-imported', pfx)
    tap.check(imported.name == 'sdk-imported' and imported.cer == cert.cer,
              'certificates: import of the PFX from the certificate\'s secret')


def main():
    try:
        import azure.identity  # noqa: F401
        import azure.keyvault.certificates  # noqa: F401
        import azure.keyvault.keys  # noqa: F401
        import azure.keyvault.secrets  # noqa: F401
    except ImportError:
        print('1..0 # SKIP python3-azure is not installed')
        return 0
    tap = Tap()
    emu = Emulator()
    try:
        # The SDK reads the proxy and the CA from the environment, as any user would set them.
        os.environ.update({'HTTPS_PROXY': emu.info['proxy'], 'https_proxy': emu.info['proxy'],
                           'REQUESTS_CA_BUNDLE': emu.ca, 'NO_PROXY': '', 'no_proxy': ''})
        from azure.identity import ClientSecretCredential
        cred = ClientSecretCredential(emu.info['tenant'], emu.info['client_id'], emu.info['client_secret'])
        cycles = (('secrets', secrets_cycle), ('recover and 403', lambda u, c, t: recover_and_forbidden(u, c, t, emu)),
                  ('keys', keys_cycle), ('certificates', certificates_cycle))
        for name, run in cycles:
            try:
                run('https://kvb-weu.vault.azure.net', cred, tap)
            except Exception:  # a raise from the SDK is a failure of the stand-in
                tap.check(False, '%s: the cycle ran to its end' % name, traceback.format_exc())
    finally:
        emu.stop()
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
