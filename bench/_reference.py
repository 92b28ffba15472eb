"""Reference servers and the kubemail suite for the side-by-side benchmarks (bench/compare_*.py).

- `Dovecot`: Debian's dovecot (imapd + pop3d) as a private instance: `dovecot -F -c <tmp>/dovecot.conf`,
  passwd-file passdb/userdb, Maildir in a temporary directory, IMAP and POP3 on free loopback
  ports, no SSL. Mail is owned by the unprivileged `nobody` uid.
- `Postfix`: Debian's postfix as a private instance: its own config_directory, queue_directory and
  data_directory in a temporary directory, chroot off, smtpd on a free loopback port, virtual(8)
  delivery into the Maildir that the private Dovecot reads. Never touches port 25 or /etc/postfix.
- `KubemailStack`: scripts/suite.py's `Suite` (redis-server with AOF + metadata + front-ends as
  processes, fs blob backend) and one user.

Every class is a context manager that stops every process it started and removes its directory.
Run as root (dovecot and postfix drop privileges themselves); needs `apt-get install
dovecot-imapd dovecot-pop3d postfix`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path[:0] = [str(ROOT), str(ROOT / "operator")]

from scripts.suite import Ports, Suite, descendants, outside_ephemeral_range, wait_port  # noqa: E402

DOMAIN = "bench.test"
ADDRESS = f"bench@{DOMAIN}"
PASSWORD = "bench-password"
# one mailbox per workload, so that one workload's messages never change another's numbers
USERS = tuple(f"{name}@{DOMAIN}" for name in ("bench", "latency", "big", "append", "pop", "idle"))


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None and not Path(t).exists()]
    if missing:
        raise RuntimeError(
            f"missing {', '.join(missing)}: apt-get install -y dovecot-imapd dovecot-pop3d postfix (as root)"
        )


def _mail_ids() -> tuple[int, int]:
    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid


def _tmpdir(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)  # dovecot/postfix children run unprivileged and must traverse it
    return d


# ---------------------------------------------------------------- process accounting


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    return [pid, *descendants(pid)]


def memory_kib(pids: list[int]) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in KiB over `pids`; PSS splits shared pages fairly between processes."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


# ---------------------------------------------------------------- Maildir population


def maildir_path(root: Path, address: str = ADDRESS) -> Path:
    local, domain = address.split("@")
    return root / domain / local / "Maildir"


def make_maildir(path: Path) -> None:
    uid, gid = _mail_ids()
    for sub in ("", "cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    # the whole user tree belongs to the mail uid
    for p in [path.parent.parent, path.parent, path, path / "cur", path / "new", path / "tmp"]:
        os.chown(p, uid, gid)


def fill_maildir(path: Path, raws: list[bytes], seen: list[bool] | None = None, new: bool = False) -> None:
    """Writes messages straight into a Maildir (Dovecot's native bulk path: a file per message).

    `new=True` puts them in new/ (as an MDA would); otherwise cur/ with the flags in the name."""
    uid, gid = _mail_ids()
    now = int(time.time())
    for i, raw in enumerate(raws):
        base = f"{now}.M{i}P{os.getpid()}.bench,S={len(raw)}"
        if new:
            target = path / "new" / base
        else:
            flags = "S" if seen and seen[i] else ""
            target = path / "cur" / f"{base}:2,{flags}"
        target.write_bytes(raw)
        os.chown(target, uid, gid)
        # distinct, ascending mtimes keep Dovecot's UID order equal to the list order
        os.utime(target, (now - len(raws) + i, now - len(raws) + i))


# ---------------------------------------------------------------- Dovecot


class Dovecot:
    """A private Dovecot (IMAP + POP3) reading <dir>/mail/<domain>/<local>/Maildir."""

    def __init__(
        self,
        work: Path | None = None,
        max_connections: int = 2000,
        users: tuple[str, ...] = (),
        password_hash: str = "",
        auth_cache: bool = False,
    ) -> None:
        """`users` beside USERS; `password_hash`: an argon2id PHC string for every user (else PLAIN);
        `auth_cache`: Dovecot's auth cache on (auth_cache_size, an hour's TTL)."""
        require("/usr/sbin/dovecot")
        self.users = (*USERS, *users)
        self.password_hash = password_hash
        self.auth_cache = auth_cache
        self.work = work or _tmpdir("ref-dovecot-")
        self.own_work = work is None
        self.mail_root = self.work / "mail"
        # Dovecot and Postfix cannot bind port 0 and report it: ports no port-0 bind is ever given
        self.imap_port, self.pop3_port = outside_ephemeral_range(2)
        self.max_connections = max_connections
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def maildir(self) -> Path:
        return maildir_path(self.mail_root)

    def maildir_of(self, address: str) -> Path:
        return maildir_path(self.mail_root, address)

    def _write_config(self) -> Path:
        uid, gid = _mail_ids()
        w = self.work
        for sub in ("run", "state", "home"):
            (w / sub).mkdir(exist_ok=True)
        os.chown(w / "home", uid, gid)
        self.mail_root.mkdir(exist_ok=True)
        (w / "state").chmod(0o755)
        for address in self.users:
            make_maildir(self.maildir_of(address))
        passwd = w / "users.passwd"
        secret = f"{{ARGON2ID}}{self.password_hash}" if self.password_hash else f"{{PLAIN}}{PASSWORD}"
        passwd.write_text("".join(f"{a}:{secret}:{uid}:{gid}::{w / 'home'}::\n" for a in self.users))
        passwd.chmod(0o644)
        n = self.max_connections
        conf = w / "dovecot.conf"
        conf.write_text(
            f"""# private benchmark instance (bench/_reference.py)
base_dir = {w}/run
state_dir = {w}/state
instance_name = bench-{os.getpid()}
log_path = {w}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.mail_root}/%d/%n/Maildir
first_valid_uid = 1
mail_max_userip_connections = {n}
default_process_limit = {n}
default_client_limit = {n * 4}
default_vsz_limit = 1G
pop3_uidl_format = %08Xu%08Xv
auth_cache_size = {"10M" if self.auth_cache else "0"}
auth_cache_ttl = 1 hour
passdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service anvil {{
  client_limit = {n * 4 + 10}
}}
service auth {{
  client_limit = {n * 4 + 10}
}}
"""
        )
        return conf

    def start(self) -> Dovecot:
        conf = self._write_config()
        with open(self.work / "dovecot.out", "ab") as out:
            self.proc = subprocess.Popen(
                ["/usr/sbin/dovecot", "-F", "-c", str(conf)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_port(self.imap_port, 30, self.proc)
            wait_port(self.pop3_port, 30, self.proc)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def chown_mail(self) -> None:
        """Everything under the mail root to the mail uid (after writing files or folders as root)."""
        uid, gid = _mail_ids()
        for path in [self.mail_root, *self.mail_root.rglob("*")]:
            os.chown(path, uid, gid)

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(5)
            # children are in the master's session: anything left (imap processes) goes too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc = None
        if self.own_work:
            shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------- Postfix


class Postfix:
    """A private Postfix: smtpd on a free loopback port, virtual(8) delivery into `mail_root`."""

    def __init__(self, mail_root: Path, work: Path | None = None, extra_main: str = "") -> None:
        require("/usr/sbin/postfix", "/usr/lib/postfix/sbin/master")
        self.extra_main = extra_main
        self.work = work or _tmpdir("ref-postfix-")
        self.work.mkdir(parents=True, exist_ok=True)
        self.own_work = work is None
        self.mail_root = mail_root
        (self.smtp_port,) = outside_ephemeral_range(1)
        self.etc = self.work / "etc"
        self.started = False

    def _write_config(self) -> None:
        uid, gid = _mail_ids()
        w = self.work
        self.etc.mkdir(exist_ok=True)
        (w / "spool").mkdir(exist_ok=True)  # postfix-script creates the queue subdirectories
        (w / "data").mkdir(exist_ok=True)
        pf = pwd.getpwnam("postfix")
        os.chown(w / "data", pf.pw_uid, pf.pw_gid)
        local, domain = ADDRESS.split("@")
        (self.etc / "vmailbox").write_text(f"{ADDRESS} {domain}/{local}/Maildir/\n")
        (self.etc / "main.cf").write_text(
            f"""# private benchmark instance (bench/_reference.py)
compatibility_level = 3.6
config_directory = {self.etc}
queue_directory = {w}/spool
data_directory = {w}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-bench
maillog_file_prefixes = {w}
maillog_file = {w}/maillog
myhostname = reference.{domain}
mydomain = {domain}
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtputf8_enable = no
biff = no
message_size_limit = 26214400
virtual_mailbox_domains = {domain}
virtual_mailbox_base = {self.mail_root}
virtual_mailbox_maps = texthash:{self.etc}/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
"""
            + self.extra_main
        )
        master = []
        for line in Path("/etc/postfix/master.cf").read_text().splitlines():
            fields = line.split()
            if line.startswith("smtp ") and len(fields) > 7 and fields[1] == "inet":
                line = f"127.0.0.1:{self.smtp_port} inet n - n - - smtpd"
            elif fields and not line[0].isspace() and not line.startswith("#") and len(fields) >= 8:
                fields[4] = "n"  # chroot off: no copy of /etc files into the spool
                line = " ".join(fields)
            master.append(line)
        (self.etc / "master.cf").write_text("\n".join(master) + "\n")

    def postconf(self, setting: str) -> None:
        env = {**os.environ, "MAIL_CONFIG": str(self.etc)}
        subprocess.run(["/usr/sbin/postconf", "-c", str(self.etc), "-e", setting], env=env, check=True, timeout=30)

    def command(self, *args: str) -> None:
        self._postfix(*args)

    def _postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "MAIL_CONFIG": str(self.etc)}
        return subprocess.run(
            ["/usr/sbin/postfix", "-c", str(self.etc), *args], env=env, capture_output=True, check=check, timeout=60
        )

    def start(self) -> Postfix:
        self._write_config()
        try:
            res = self._postfix("start", check=False)
            if res.returncode != 0:
                raise RuntimeError(f"postfix start failed: {(res.stdout + res.stderr).decode(errors='replace')}")
            self.started = True
            wait_port(self.smtp_port, 30)
        except BaseException:
            self.stop()
            raise
        return self

    def master_pid(self) -> int | None:
        try:
            return int((self.work / "spool" / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        if self.started:
            pid = self.master_pid()
            self._postfix("stop", check=False)
            deadline = time.monotonic() + 20
            while pid and Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            if pid and Path(f"/proc/{pid}").exists():
                for p in reversed(process_tree(pid)):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(p, signal.SIGKILL)
            self.started = False
        if self.own_work:
            shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> Postfix:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------- kubemail


class KubemailStack:
    """scripts/suite.py's Suite (fs blobs) with one user `ADDRESS`; `user_id` after start."""

    def __init__(
        self,
        services: tuple[str, ...],
        extra_env: dict[str, str] | None = None,
        users: tuple[str, ...] = (),
        password_hash: str = "",
    ) -> None:
        """`users` beside USERS; `password_hash`: an argon2 PHC string for every user (else a cheap
        test hash of PASSWORD)."""
        self.users = (*USERS, *users)
        self.password_hash = password_hash
        self.work = _tmpdir("kubemail-compare-")
        env = {
            "KUBEMAIL_LOG_LEVEL": "WARNING",
            "KUBEMAIL_SMTP_MSG_RATE_LIMIT": "0",
            "KUBEMAIL_IMAP_MAX_CONNECTIONS": "100000",
            "KUBEMAIL_METADATA_GC_INTERVAL_SECONDS": "0",
            "KUBEMAIL_HOSTNAME": "kubemail.bench.test",
            **(extra_env or {}),
        }
        self.suite = Suite(self.work, extra_env=env, services=services)
        self.user_ids: dict[str, str] = {}

    @property
    def user_id(self) -> str:
        return self.user_ids[ADDRESS]

    @property
    def env(self) -> dict[str, str]:
        return self.suite.env

    @property
    def ports(self) -> Ports:
        return self.suite.ports

    def pid(self, name: str) -> int:
        return self.suite.procs[name].pid

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.suite.procs.items()}

    async def _seed(self) -> dict[str, str]:
        from services.common.grpcclient import MetadataClient
        from services.gen.kubemail.v1 import directory_pb2 as directory_pb
        from tests.fixtures.seed import hash_password

        async with MetadataClient(self.env["KUBEMAIL_METADATA_ADDR"], 10) as c:
            await c.directory.UpsertDomain(
                directory_pb.UpsertDomainRequest(domain=directory_pb.Domain(name=DOMAIN, enabled=True))
            )
            ids = {}
            hashed = self.password_hash or hash_password(PASSWORD)
            for address in self.users:
                user = (
                    await c.directory.UpsertUser(
                        directory_pb.UpsertUserRequest(
                            user=directory_pb.User(address=address, password_hash=hashed, enabled=True)
                        )
                    )
                ).user
                ids[address] = str(user.id)
            return ids

    def start(self) -> KubemailStack:
        self.suite.start()
        try:
            self.user_ids = asyncio.run(self._seed())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.suite.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> KubemailStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def kubemail_deliver(
    env: dict[str, str], user_id: str, raws: list[bytes], seen: list[bool] | None = None, concurrency: int = 32
) -> None:
    """kubemail's bulk path: blob put + metadata Deliver over gRPC, `concurrency` in flight, in order
    of `raws` per batch (UIDs follow the list closely enough for the benchmarks)."""
    import uuid

    from services.common.blobstore import make_blobstore
    from services.common.config import CommonConfig, load
    from services.common.grpcclient import MetadataClient
    from services.common.mime import build_summary
    from services.gen.kubemail.v1 import messages_pb2 as messages_pb

    blobs = make_blobstore(load(CommonConfig, env))
    try:
        async with MetadataClient(env["KUBEMAIL_METADATA_ADDR"], 30) as c:

            async def one(i: int) -> None:
                raw = raws[i]
                bid = await blobs.put(raw)
                flags = ["\\Seen"] if seen and seen[i] else []
                await c.messages.Deliver(
                    messages_pb.DeliverRequest(
                        blob_id=bid,
                        size=len(raw),
                        summary=build_summary(raw),
                        deliveries=[messages_pb.Delivery(user_id=user_id, flags=flags)],
                        idempotency_key=uuid.uuid4().hex,
                    )
                )

            for k in range(0, len(raws), concurrency):
                await asyncio.gather(*(one(i) for i in range(k, min(len(raws), k + concurrency))))
    finally:
        await blobs.close()
