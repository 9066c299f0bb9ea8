"""A Sentinel-managed Redis on loopback: a primary, one replica, and three redis-sentinel
processes (redis-server --sentinel) watching them under one master name."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path
from typing import IO

import redis

from harness.redis_server import RedisServer, free_port

MASTER_NAME = "tandem"


class SentinelProcess:
    def __init__(self, directory: Path, primary_port: int) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        # Sentinel rewrites its own configuration file as it learns the topology.
        self.config = directory / "sentinel.conf"
        self.config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {directory}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 2000\n"
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, decode_responses=True)

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._log = (self.directory / "sentinel.log").open("ab")
        self.process = subprocess.Popen(
            [binary, str(self.config), "--sentinel"], stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError), self.client() as c:
                if c.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-sentinel on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class SentinelRedis:
    """Primary + replica + three Sentinels. `servers` is the pair; which one is the master
    changes with failover()."""

    def __init__(self, directory: Path) -> None:
        self.servers = [RedisServer(directory / "redis-a"), RedisServer(directory / "redis-b")]
        self.sentinels: list[SentinelProcess] = []
        self.directory = directory

    @property
    def url(self) -> str:
        """The sidecar's redis_hosts entry (what manage.py tandem writes for a Sentinel dict)."""
        addresses = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"sentinel://{addresses}/0?master_name={MASTER_NAME}"

    @property
    def channels_redis_host(self) -> dict:
        return {"sentinels": [("127.0.0.1", s.port) for s in self.sentinels], "master_name": MASTER_NAME}

    def master_port(self) -> int:
        with self.sentinels[0].client() as c:
            return int(c.execute_command("SENTINEL", "get-master-addr-by-name", MASTER_NAME)[1])

    def master(self) -> RedisServer:
        port = self.master_port()
        return next(s for s in self.servers if s.port == port)

    def start(self) -> SentinelRedis:
        primary, replica = self.servers
        primary.start()
        replica.start()
        replica.client().execute_command("REPLICAOF", "127.0.0.1", primary.port)
        self.sentinels = [SentinelProcess(self.directory / f"sentinel{i}", primary.port) for i in range(3)]
        for sentinel in self.sentinels:
            sentinel.start()
        self.wait_stable(primary, replica, timeout=30)
        return self

    def _role(self, server: RedisServer) -> dict:
        return server.client().info("replication")

    def wait_stable(self, master: RedisServer, replica: RedisServer, timeout: float) -> None:
        """Until every Sentinel names `master`, the replica follows it, and the Sentinels know
        the replica and each other (so a failover can be agreed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError, StopIteration, TypeError):
                info = self._role(replica)
                named = {
                    s.client().execute_command("SENTINEL", "get-master-addr-by-name", MASTER_NAME)[1]
                    for s in self.sentinels
                }
                # (redis-py parses SENTINEL MASTER into a dict)
                fields = [
                    s.client().execute_command("SENTINEL", "master", MASTER_NAME) for s in self.sentinels
                ]
                if (
                    named == {str(master.port)}
                    and self._role(master)["role"] == "master"
                    and info["role"] == "slave"
                    and info.get("master_port") == master.port
                    and info.get("master_link_status") == "up"
                    and all(int(f["num-slaves"]) >= 1 and int(f["num-other-sentinels"]) >= 2 for f in fields)
                ):
                    return
            time.sleep(0.1)
        raise RuntimeError("the Sentinel topology did not settle")

    def failover(self, timeout: float = 60) -> float:
        """SENTINEL FAILOVER, then wait until the old replica is master and the old master
        follows it. Returns the seconds that took."""
        old = self.master()
        new = next(s for s in self.servers if s is not old)
        started = time.monotonic()
        with self.sentinels[0].client() as c:
            c.execute_command("SENTINEL", "FAILOVER", MASTER_NAME)
        self.wait_stable(new, old, timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        for sentinel in self.sentinels:
            sentinel.stop()
        for server in self.servers:
            server.stop()
