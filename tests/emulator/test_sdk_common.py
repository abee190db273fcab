"""Starts kvb-emulator for a Python test and talks to it like a real client: through its CONNECT
proxy, with real host names, trusting its CA and signing in with client credentials."""
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, 'test-emu-keyvault-seed.json')


def emulator_path():
    if os.environ.get('KVB_EMULATOR'):
        return os.environ['KVB_EMULATOR']
    build = os.environ.get('KVB_BUILD_ROOT')
    if build is None:
        build = os.path.join(HERE, '..', '..', 'build')
    return os.path.join(build, 'src', 'emulator', 'kvb-emulator')


class Emulator:
    def __init__(self, seed=SEED, extra_args=()):
        self.state_dir = tempfile.TemporaryDirectory(prefix='kvb-emu-test-')
        args = [emulator_path(), '--port', '0', '--proxy-port', '0', '--seed', seed,
                '--state-dir', self.state_dir.name, *extra_args]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('kvb-emulator exited before printing its start-up line')
        self.info = json.loads(line)
        self.ca = self.info['ca']
        self.proxies = {'https': self.info['proxy']}
        self.session = requests.Session()
        self.session.verify = self.ca
        self.session.proxies.update(self.proxies)
        self._tokens = {}
        self.direct_session = requests.Session()
        self.direct_session.verify = self.ca
        self.direct_session.trust_env = False

    def env(self):
        """Environment for a client that uses the proxy and trusts the CA."""
        env = dict(os.environ)
        env.update({'HTTPS_PROXY': self.info['proxy'], 'https_proxy': self.info['proxy'],
                    'REQUESTS_CA_BUNDLE': self.ca, 'NO_PROXY': '', 'no_proxy': ''})
        return env

    def direct(self, method, url, **kwargs):
        """A request to https://<vault>.vault.localhost:PORT/… sent to 127.0.0.1 with that Host
        header: the stand-in routes by Host, and Python cannot resolve *.localhost here."""
        u = urllib.parse.urlsplit(url)
        headers = dict(kwargs.pop('headers', None) or {})
        headers['Host'] = u.netloc
        target = urllib.parse.urlunsplit(('https', '127.0.0.1:%d' % u.port, u.path, u.query, ''))
        return self.direct_session.request(method, target, headers=headers, **kwargs)

    def vault_url(self, vault):
        return 'https://%s.vault.localhost:%d' % (vault, urllib.parse.urlsplit(self.info['url']).port)

    def token(self, scope='https://vault.azure.net/.default', client_id=None, secret=None):
        key = (scope, client_id)
        if key not in self._tokens:
            r = self.direct_session.post(
                '%s/%s/oauth2/v2.0/token' % (self.info['url'], self.info['tenant']),
                data={'grant_type': 'client_credentials',
                      'client_id': client_id or self.info['client_id'],
                      'client_secret': secret or self.info['client_secret'],
                      'scope': scope})
            r.raise_for_status()
            self._tokens[key] = r.json()['access_token']
        return self._tokens[key]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.state_dir.cleanup()


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, name, detail=None, todo=None):
        self.n += 1
        line = '%s %d - %s' % ('ok' if ok else 'not ok', self.n, name)
        if todo:
            line += ' # TODO ' + todo
        print(line, flush=True)
        if not ok and detail:
            for d in str(detail).splitlines():
                print('#   ' + d, flush=True)
        if not ok and not todo:
            self.failed += 1

    def skip(self, name, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, why), flush=True)

    def done(self):
        print('1..%d' % self.n, flush=True)
        return 1 if self.failed else 0
