"""What the HTTP API adds to a generation: /v1/completions with max_tokens 1 on the demo model, timed by the client,
less the time the silo's request grain took (the X-Olm-Generation-Ms header: from the grain call to its last chunk).

Usage (from the repository root):  python3 bench/http_overhead.py [--requests 300] [--out docs/bench/http-overhead.json]
It builds the Silo in Release, starts it with --http-port on loopback serving models/stories260K, sends warm-up and
measured requests one at a time over one keep-alive connection, stops the silo, and prints and writes the JSON.
Only the Python standard library is needed.
"""
import argparse, http.client, json, os, platform, socket, statistics, subprocess, sys, time

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def start_silo(root):
    subprocess.run(["dotnet", "build", "Silo", "-c", "Release", "--nologo", "-v", "q"], cwd=root, check=True)
    http_port, silo_port, gateway_port = free_port(), free_port(), free_port()
    silo = subprocess.Popen(
        ["dotnet", os.path.join("Silo", "bin", "Release", "net10.0", "Silo.dll"), "--http-port", str(http_port),
         "--silo-port", str(silo_port), "--gateway-port", str(gateway_port), "--cluster-id", f"olm-http-bench-{os.getpid()}",
         "--serve", os.path.join("models", "stories260K")],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in silo.stdout:  # the silo says where the API is once the model is served
        if line.startswith("HTTP API on"):
            return silo, http_port
    raise RuntimeError("the silo stopped before serving: " + str(silo.wait()))

def measure(port, n):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"model": "stories260K", "prompt": "Once upon a time", "max_tokens": 1, "temperature": 0})
    walls, grains = [], []
    for _ in range(n):
        start = time.perf_counter()
        conn.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = json.loads(response.read())
        wall = (time.perf_counter() - start) * 1000
        assert response.status == 200 and payload["usage"]["completion_tokens"] == 1, payload
        walls.append(wall)
        grains.append(float(response.getheader("X-Olm-Generation-Ms")))
    return walls, grains

def summary(values):
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"median_ms": round(statistics.median(values), 3), "p90_ms": round(pick(0.9), 3), "p99_ms": round(pick(0.99), 3),
            "mean_ms": round(statistics.fmean(values), 3)}

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    silo, port = start_silo(root)
    try:
        measure(port, args.warmup)
        walls, grains = measure(port, args.requests)
    finally:
        silo.terminate()
        silo.wait(timeout=30)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    result = {
        "benchmark": "http_overhead", "endpoint": "/v1/completions", "model": "stories260K", "max_tokens": 1,
        "requests": args.requests, "warmup": args.warmup, "commit": commit,
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
        "client_wall": summary(walls), "generation": summary(grains),
        "http_overhead": summary([w - g for w, g in zip(walls, grains)]),
        "raw": {"client_wall_ms": [round(w, 3) for w in walls], "generation_ms": grains},
    }
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=1))

if __name__ == "__main__":
    sys.exit(main())
