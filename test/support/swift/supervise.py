# A single-replica OpenStack Swift with its S3 API (s3api + tempauth) on loopback, for tests and
# the benchmark: test/helpers/swift.ts runs it as `python3 supervise.py <work dir> <ports json>`.
# It writes the conf (from this folder's templates, with the ports given) and the rings into the
# work dir, starts memcached and the four servers as its children, prints "ready <proxy port>"
# once the proxy answers, and stops them all when it is told to (SIGTERM, SIGINT), when one of
# them dies, or when the process that started it goes away, even by SIGKILL: no Swift outlives
# its test. S3 credentials: test:tester / testing, region us-east-1, path-style.
# Adapted from the swift-s3 recipe (Debian 12, Swift 2.30): only the four servers run (no
# replicators or auditors), and swift.conf is read from the work dir, not /etc/swift.
import ctypes
import getpass
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PR_SET_PDEATHSIG = 1
KINDS = ('account', 'container', 'object', 'proxy')


def die_with_parent(sig):
    """Linux: the kernel sends `sig` to this process when its parent dies."""
    try:
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    except OSError:
        pass  # not Linux: the parent poll below still stops everything


def serve(kind, conf_file):
    """One Swift WSGI server, with swift.conf taken from the work dir instead of /etc/swift."""
    from swift.common import utils
    utils.SWIFT_CONF_FILE = os.path.join(os.path.dirname(conf_file), 'swift.conf')
    from swift.common import storage_policy
    storage_policy.reload_storage_policies()
    from swift.common.wsgi import run_wsgi
    kw = {}
    if kind == 'object':
        from swift.obj import server
        kw['global_conf_callback'] = server.global_conf_callback
    sys.exit(run_wsgi(conf_file, kind + '-server', verbose=False, **kw))


def write_conf(work, ports):
    conf = os.path.join(work, 'conf')
    os.makedirs(conf, exist_ok=True)
    os.makedirs(os.path.join(work, 'srv', 'd1'), exist_ok=True)
    values = {'{dir}': work, '{user}': getpass.getuser()}
    for name, port in ports.items():
        values['{%s_port}' % name] = str(port)
    for template in os.listdir(HERE):
        if not template.endswith('.conf'):
            continue
        with open(os.path.join(HERE, template)) as source:
            text = source.read()
        for key, value in values.items():
            text = text.replace(key, value)
        with open(os.path.join(conf, template), 'w') as target:
            target.write(text)
    return conf


def build_rings(conf, ports):
    """The three rings in one process (swift-ring-builder would start nine)."""
    from swift.common.ring import RingBuilder
    for kind in ('account', 'container', 'object'):
        builder = RingBuilder(10, 1, 1)
        builder.add_dev({'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': ports[kind], 'device': 'd1', 'weight': 100})
        builder.rebalance()
        builder.get_ring().save(os.path.join(conf, kind + '.ring.gz'))


def start_children(work, conf, ports):
    logs = os.path.join(work, 'log')
    os.makedirs(logs, exist_ok=True)
    env = dict(os.environ, EVENTLET_NO_GREENDNS='yes')
    children = []

    def start(name, argv):
        log = open(os.path.join(logs, name + '.log'), 'w')
        children.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         preexec_fn=lambda: die_with_parent(signal.SIGKILL)))

    # tempauth needs the cache filter; without a memcached behind it every request is twice as slow
    start('memcached', ['memcached', '-l', '127.0.0.1', '-p', str(ports['memcached']), '-U', '0', '-m', '64',
                        '-u', getpass.getuser()])
    for kind in KINDS:
        start(kind, [sys.executable, os.path.abspath(__file__), 'serve', kind,
                     os.path.join(conf, kind + '-server.conf')])
    return children


def stop(children):
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 5
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def proxy_answers(port):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d/healthcheck' % port, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def supervise(work, ports):
    parent = os.getppid()
    die_with_parent(signal.SIGTERM)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    conf = write_conf(work, ports)
    build_rings(conf, ports)
    children = start_children(work, conf, ports)
    ready = False
    started = time.monotonic()
    try:
        while not stopping and os.getppid() == parent:
            if any(child.poll() is not None for child in children):
                print('a Swift process stopped; its log is in %s/log' % work, file=sys.stderr, flush=True)
                return 1
            if not ready:
                if proxy_answers(ports['proxy']):
                    ready = True
                    print('ready %d' % ports['proxy'], flush=True)
                elif time.monotonic() - started > 60:
                    print('the Swift proxy did not answer within 60 s; logs in %s/log' % work, file=sys.stderr, flush=True)
                    return 1
            time.sleep(0.05 if not ready else 0.25)
        return 0
    finally:
        stop(children)
        # Orphaned (the test process ended without stop()): nobody else will remove the state.
        if os.getppid() != parent:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        serve(sys.argv[2], sys.argv[3])
    else:
        sys.exit(supervise(os.path.abspath(sys.argv[1]), json.loads(sys.argv[2])))
