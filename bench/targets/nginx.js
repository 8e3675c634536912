// Row (n): nginx with TLS (the same certificate), an API-key map and limit_req in front of the plain-HTTP
// upstream, the way a team would configure it by hand. The configuration is generated into a temporary
// directory; nginx runs in the foreground as a single process (master_process off), so its CPU time is
// that one process's (/proc/<pid>/stat). bench/run.js skips the row with a message when nginx is missing.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../lib/free-port.js';

export const NGINX = process.env.BENCH_NGINX ?? '/usr/sbin/nginx';


/** user + system CPU of a process, in µs, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuMicrosOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

export async function start({ certFile, keyFile, upstreamUrl }) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-nginx-'));
  const port = await freePort();
  const key = `pck_bench_${randomBytes(16).toString('hex')}`;
  const upstream = new URL(upstreamUrl);
  const conf = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  # The key map: a known key names its consumer, anything else maps to "".
  map_hash_bucket_size 128;
  map $http_authorization $consumer { default ""; "Bearer ${key}" "bench"; }
  # One limit per consumer, high enough never to refuse: the decision is still taken on every request.
  limit_req_zone $consumer zone=per_consumer:1m rate=1000000r/s;
  upstream companies { server ${upstream.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${certFile};
    ssl_certificate_key ${keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_requests 1000000;
    location /companies/ {
      if ($consumer = "") { return 401; }
      limit_req zone=per_consumer burst=1000000 nodelay;
      proxy_pass http://companies;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Consumer $consumer;
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((done) => child.once('exit', done));
  // Ready once the port accepts a connection.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((done) => {
      const socket = new Socket();
      socket.once('connect', () => (socket.destroy(), done(true)));
      socket.once('error', () => done(false));
      socket.connect(port, '127.0.0.1');
    });
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('nginx did not start (its messages are above)');
    await new Promise((done) => setTimeout(done, 50));
  }
  return {
    info: { url: `https://127.0.0.1:${port}`, headers: { authorization: `Bearer ${key}` } },
    cpuMicros: () => cpuMicrosOf(child.pid),
    stop: async () => {
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
