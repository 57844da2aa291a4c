#!/usr/bin/python3
"""harness/bench/peer.py - `make bench-peer`: mlsysbench's CPU SUT beside PyTorch CPU.

For every model workload the binary lists (kws, ic, vww, ad, gemm), builds the same
architecture in PyTorch from the shapes documented in workloads/*.c and
workloads/model.h, checks that it has the binary's parameter count and MACs (a
mismatch is an error row: timing another model would mean nothing), then measures
both engines on this machine and prints one table of ratios, also written as JSON.
Not a test: a MISS against a goal is a finding, not a failure.

  batch 1  ours: `run --scenario singlestream --threads 1`, 1e9 / p50 latency (one
           sample at a time on one worker). PyTorch: 1e9 / the median of >= 200 timed
           calls on one sample, at 1 thread and at THREADS threads; the ratio is
           against the faster of the two.
  Offline  ours: `run --scenario offline --threads THREADS`, samples/s. PyTorch: the
           best samples/s over batches of 64 and 256 at THREADS threads.
  PyTorch is timed in two forms, eager (the nn.Module in inference_mode) and jit
  (torch.jit.trace + optimize_for_inference: weights frozen, Python out of the call);
  each cell is the faster and names it (--modes eager keeps to eager mode).
  GFLOP/s  ours: each run's roofline block (FLOPs x samples/s) against the fp32 peak of
           the cores it used, from this machine's profile measured first with
           `BINARY profile` (--profile auto|NAME|PATH uses another). Below the tables,
           one line per goal: PASS when every workload meets it, else MISS and which.

Usage (peer.sh runs it; needs /usr/bin/python3 with Debian's python3-torch):
  /usr/bin/python3 harness/bench/peer.py BINARY [--threads N] [--json PATH]
      [--duration-ms MS] [--workloads kws,ic] [--modes eager,jit]

Each PyTorch measurement runs in a child process of this script (`--torch-child`), so
the thread counts are fixed before torch starts (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS),
a crash costs one row, and every child has a timeout. Other processes' CPU use during
each row is measured (/proc/stat less our own CPU time) and a row above 5 % is flagged.
Our run folders stay in bench-peer-runs/ beside the JSON. Exit status: 0 when every
workload was measured in both engines, 1 otherwise (its row says why).
Uses only the standard library, and torch in the child.
"""
import argparse
import collections
import json
import math
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import warnings

# ---- what the binary says ------------------------------------------------------------

# Workloads peer.py can build in PyTorch; `null` and `delay` (no model) are skipped.
MODEL_WORKLOADS = ("kws", "ic", "vww", "ad", "gemm")

GOAL_BATCH1 = 2.0   # ours / best PyTorch at batch 1
GOAL_OFFLINE = 1.0  # ours / PyTorch Offline

BUSY_WARN = 0.05        # warn when other processes used more of the CPUs than this
CHILD_TIMEOUT_S = 600   # one PyTorch child (import, checks, all its measurements)
RUN_SLACK_S = 90        # beyond --duration-ms for one mlsysbench run (drain timeout 10 s)


def run_cmd(cmd, timeout_s, env=None):
    """subprocess.run(cmd) capturing text output, in a session of its own so that on
    timeout the whole process group (a wrapper script's children too) is killed before
    subprocess.TimeoutExpired is raised."""
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def list_workloads(binary):
    """Parse the WORKLOADS section of `BINARY list` into {name: info}.

    A workload is a line with two spaces of indent and its name; the indented lines
    after it hold "input AxB f32, output C f32, P params, M MACs, ..." and
    "--set key=default" lines. Raises RuntimeError when the binary cannot say.
    """
    out = run_cmd([binary, "list"], 60)
    if out.returncode != 0:
        raise RuntimeError(f"{binary} list: exit {out.returncode}: {out.stderr.strip()}")
    workloads, current, in_section = {}, None, False
    for line in out.stdout.splitlines():
        if re.match(r"^[A-Z]", line):           # a section header
            in_section = line.startswith("WORKLOADS")
            continue
        if not in_section:
            continue
        head = re.match(r"^  (\S+)\s+(.*)$", line)
        if head:
            current = {"name": head.group(1), "description": head.group(2), "set": {}}
            workloads[current["name"]] = current
            continue
        if current is None:
            continue
        shape = re.search(r"input (\S+) (\w+), output (\S+) (\w+), (\d+) params, "
                          r"(\d+) MACs", line)
        if shape:
            current.update(input=shape.group(1), output=shape.group(3),
                           params=int(shape.group(5)), macs=int(shape.group(6)))
        flops = re.search(r"(\d+) FLOPs", line)
        if flops:
            current["flops"] = int(flops.group(1))
        setting = re.match(r"^\s+--set (\w+)=(\S+)", line)
        if setting:
            current["set"][setting.group(1)] = setting.group(2)
    return workloads


# ---- PyTorch models (only the child process imports torch) ---------------------------

# Layer tables, transcribed from workloads/<name>.c (NHWC there, NCHW here; the same
# math). One entry per layer of the C table, built by helpers named like the C macros of
# workloads/model.h; each is Layer(kind, kh, kw, stride, out, relu, src, add):
#   conv  kh x kw conv, `out` filters; src = None reads the previous layer, j layer j
#   dw    depthwise kh x kw, multiplier 1 (groups = C)
#   gap   global average pool
#   dense `out` outputs on the flattened input
#   add   previous output + layer `add`'s output
Layer = collections.namedtuple("Layer", "kind kh kw stride out relu src add")


def _conv(kh, kw, s, f, relu, src=None):
    return Layer("conv", kh, kw, s, f, relu, src, None)


def _dw(k, s):
    return Layer("dw", k, k, s, None, True, None, None)


def _dws(f, s):
    """A depthwise-separable block: depthwise 3x3 stride s, pointwise f; both ReLU."""
    return [_dw(3, s), _conv(1, 1, 1, f, True)]


def _gap():
    return Layer("gap", 1, 1, 1, None, False, None, None)


def _dense(n, relu):
    return Layer("dense", 1, 1, 1, n, relu, None, None)


def _add(j, relu):
    return Layer("add", 1, 1, 1, None, relu, None, j)


KWS_LAYERS = [_conv(10, 4, 2, 64, True)] + _dws(64, 1) * 4 + [_gap(), _dense(12, False)]

IC_LAYERS = [
    _conv(3, 3, 1, 16, True),                                     # 0
    _conv(3, 3, 1, 16, True), _conv(3, 3, 1, 16, False),          # 1, 2
    _add(0, True),                                                # 3
    _conv(3, 3, 2, 32, True), _conv(3, 3, 1, 32, False),          # 4, 5
    _conv(1, 1, 2, 32, False, src=3), _add(5, True),              # 6, 7
    _conv(3, 3, 2, 64, True), _conv(3, 3, 1, 64, False),          # 8, 9
    _conv(1, 1, 2, 64, False, src=7), _add(9, True),              # 10, 11
    _gap(), _dense(10, False),                                    # 12, 13
]

# (filters, stride) of vww's 13 depthwise-separable blocks.
VWW_BLOCKS = ([(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5
              + [(256, 2), (256, 1)])
VWW_LAYERS = ([_conv(3, 3, 2, 8, True)] + [l for f, s in VWW_BLOCKS for l in _dws(f, s)]
              + [_gap(), _dense(2, False)])

AD_LAYERS = ([_dense(128, True)] * 4 + [_dense(8, True)] + [_dense(128, True)] * 4
             + [_dense(640, False)])

# name: (input H, W, C as workloads/<name>.c gives it, layer table)
NETS = {
    "kws": ((49, 10, 1), KWS_LAYERS),
    "ic": ((32, 32, 3), IC_LAYERS),
    "vww": ((96, 96, 3), VWW_LAYERS),
    "ad": ((1, 1, 640), AD_LAYERS),
}


def same_pad(size, k, stride):
    """TensorFlow 'same' for one dimension (workloads/model.h): (out, before, after)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def build_net(torch, name):
    """The PyTorch module of workload `name` and the shape of one input sample.

    Convolutions get PyTorch's own symmetric padding when TF-same padding is
    symmetric (stride-1 odd kernels: k // 2), else an F.pad before the conv (kws's
    10x4 stride-2 conv, the stride-2 3x3 convs of ic and vww: TF puts the extra row or
    column after). ReLU is applied in place on each fresh output.
    """
    nn, F = torch.nn, torch.nn.functional
    (h, w, c), table = NETS[name]
    # Outputs read later than by the next layer (shortcut sources, add operands).
    keep = {e.src for e in table if e.src is not None} | {e.add for e in table
                                                         if e.add is not None}

    class TfNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.mods = nn.ModuleList()  # one per layer; nn.Identity() without weights
            self.pads = []               # F.pad tuple before a conv, or None
            shapes = []                  # (C, H, W) of each layer's output
            for e in table:
                ci, hi, wi = (shapes[e.src] if e.src is not None else
                              shapes[-1] if shapes else (c, h, w))
                pad, mod, shape = None, nn.Identity(), (ci, hi, wi)
                if e.kind in ("conv", "dw"):
                    co = e.out if e.kind == "conv" else ci
                    ho, pt, pb = same_pad(hi, e.kh, e.stride)
                    wo, pl, pr = same_pad(wi, e.kw, e.stride)
                    sym = pt == pb and pl == pr
                    mod = nn.Conv2d(ci, co, (e.kh, e.kw), stride=e.stride, bias=True,
                                    padding=(pt, pl) if sym else 0,
                                    groups=ci if e.kind == "dw" else 1)
                    pad, shape = None if sym else (pl, pr, pt, pb), (co, ho, wo)
                elif e.kind == "gap":
                    shape = (ci, 1, 1)
                elif e.kind == "dense":
                    mod, shape = nn.Linear(ci * hi * wi, e.out, bias=True), (e.out, 1, 1)
                self.mods.append(mod)
                self.pads.append(pad)
                shapes.append(shape)

        def forward(self, x):
            saved = {}
            for i, e in enumerate(table):
                if e.src is not None:
                    x = saved[e.src]
                if e.kind in ("conv", "dw"):
                    pad = self.pads[i]
                    x = self.mods[i](F.pad(x, pad) if pad else x)
                elif e.kind == "gap":
                    x = x.mean((2, 3))
                elif e.kind == "dense":
                    x = self.mods[i](x.flatten(1) if x.dim() > 2 else x)
                else:  # add
                    x = x + saved[e.add]
                if e.relu:
                    x = torch.relu_(x)
                if i in keep:
                    saved[i] = x
            return x

    # A net that starts with a dense layer (ad) takes flat vectors.
    sample_shape = (h * w * c,) if table[0].kind == "dense" else (c, h, w)
    return TfNet(), sample_shape


def build_gemm(torch, m, n, k):
    """gemm: C = A x B with B (K x N) the weight; one sample is A (M x K)."""
    class Gemm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.b = torch.nn.Parameter(torch.randn(k, n))

        def forward(self, a):
            return torch.matmul(a, self.b)

    return Gemm(), (m, k)


def count_macs(torch, model, x, gemm_k=None):
    """MACs of one forward on x (batch 1), counted with hooks the way model.h counts
    them (conv: outputs x in_c/groups x kh x kw, taps over padding included)."""
    if gemm_k is not None:
        return model(x).numel() * gemm_k
    total = [0]

    def hook(mod, inputs, out):
        if isinstance(mod, torch.nn.Conv2d):
            kh, kw = mod.kernel_size
            total[0] += out.numel() * (mod.in_channels // mod.groups) * kh * kw
        elif isinstance(mod, torch.nn.Linear):
            total[0] += out.numel() * mod.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    model(x)
    for hd in handles:
        hd.remove()
    return total[0]


def loaded_blas():
    """The BLAS library file this process mapped (after importing torch)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {ln.split()[-1] for ln in f if "blas" in ln.lower() and "/" in ln}
    except OSError:
        return "unknown"
    main = [lib for lib in libs if os.path.basename(lib).startswith("libblas")]
    return ", ".join(sorted(main or libs)) or "none mapped"


def time_batch1(model, x, min_calls=200, budget_s=2.0):
    """Median seconds of one call on x: warm-up (>= 20 calls and 0.3 s), then at least
    min_calls timed calls, more while budget_s lasts (at most 20,000)."""
    clock = time.perf_counter_ns
    end = time.monotonic() + 0.3
    n = 0
    while n < 20 or time.monotonic() < end:
        model(x)
        n += 1
    times = []
    end = time.monotonic() + budget_s
    while len(times) < min_calls or (time.monotonic() < end and len(times) < 20000):
        t0 = clock()
        model(x)
        times.append(clock() - t0)
    return statistics.median(times) / 1e9, len(times)


def time_batched(model, x, budget_s=2.0):
    """Samples/s of repeated calls on the batch x: 2 warm-up calls, then calls for
    budget_s (at least 3)."""
    model(x)
    model(x)
    n, t0 = 0, time.perf_counter()
    while n < 3 or time.perf_counter() - t0 < budget_s:
        model(x)
        n += 1
    return n * x.shape[0] / (time.perf_counter() - t0)


def compile_jit(torch, model, x):
    """The frozen TorchScript form of model for inputs shaped like x:
    torch.jit.trace, then optimize_for_inference (freezes the weights, folds them into
    oneDNN-prepacked convolutions, removes Python from the call). Raises on failure,
    or when its output differs from eager mode's."""
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jit = torch.jit.optimize_for_inference(torch.jit.trace(model, x).eval())
        if not torch.allclose(jit(x), model(x), rtol=1e-3, atol=1e-4):
            raise RuntimeError("TorchScript output differs from eager mode")
    return jit


def best_of(by_mode):
    """(mode, value) of the largest value in {mode: value}; (None, None) if empty."""
    return max(by_mode.items(), key=lambda kv: kv[1], default=(None, None))


def torch_child(args):
    """`--torch-child`: build, check and time one workload at one thread count in each
    mode of --modes (eager, jit); print one JSON object. The parent set OMP_NUM_THREADS
    and the BLAS thread counts before this process started."""
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    name = args.torch_child
    if name == "gemm":
        model, shape = build_gemm(torch, *(int(v) for v in args.gemm.split(",")))
    else:
        model, shape = build_net(torch, name)
    model.eval()
    res = {"threads": torch.get_num_threads(), "torch": torch.__version__,
           "mkldnn": torch.backends.mkldnn.is_available(), "blas": loaded_blas()}
    x1 = torch.randn(1, *shape)
    with torch.inference_mode():
        res["params"] = sum(p.numel() for p in model.parameters())
        res["macs"] = count_macs(torch, model, x1, shape[1] if name == "gemm" else None)
    if res["params"] != args.expect_params or res["macs"] != args.expect_macs:
        res["mismatch"] = True
        res["error"] = (f"PyTorch model does not match the binary: params "
                        f"{res['params']} vs {args.expect_params}, MACs "
                        f"{res['macs']} vs {args.expect_macs}")
        print(json.dumps(res))
        return 1

    def runner(mode, x):
        """The callable of `mode` for inputs shaped like x (None if jit fails)."""
        if mode == "eager":
            return model
        try:
            return compile_jit(torch, model, x)
        except Exception as e:  # noqa: BLE001 - any failure only drops this mode
            res.setdefault("notes", []).append(f"jit at {tuple(x.shape)}: {e}")
            return None

    modes = args.modes.split(",")
    res["batch1"] = {}
    for mode in modes:
        fn = runner(mode, x1)
        if fn is not None:
            with torch.inference_mode():
                sec, calls = time_batch1(fn, x1)
            res["batch1"][mode] = {"latency_s": sec, "calls": calls, "sps": 1.0 / sec}
    res["batch1_mode"], res["batch1_sps"] = best_of(
        {m: r["sps"] for m, r in res["batch1"].items()})
    if not res["batch1"]:
        res["error"] = f"PyTorch: no form ran: {'; '.join(res.get('notes', []))}"
        print(json.dumps(res))
        return 1
    if args.offline:
        # Batches 64 and 256 (fewer when one would exceed 256 MiB of input).
        per_sample = 4 * math.prod(shape)
        batches = sorted({max(1, min(b, (256 << 20) // per_sample)) for b in (64, 256)})
        res["offline"] = {}
        for mode in modes:
            for b in batches:
                xb = torch.randn(b, *shape)
                fn = runner(mode, xb)
                if fn is not None:
                    with torch.inference_mode():
                        res["offline"][f"{mode} {b}"] = time_batched(fn, xb)
        key, res["offline_sps"] = best_of(res["offline"])
        if key:
            res["offline_mode"], batch = key.split()
            res["offline_batch"] = int(batch)
    print(json.dumps(res))
    return 0


def run_torch(info, threads, offline, modes):
    """Run a torch child for workload info at `threads` in `modes` (comma-separated);
    its JSON, or {"error": why}."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "BLIS_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-child", info["name"],
           "--threads", str(threads), "--expect-params", str(info["params"]),
           "--expect-macs", str(info["macs"]), "--modes", modes]
    if info["name"] == "gemm":
        s = info["set"]
        cmd += ["--gemm", f"{s.get('m', 256)},{s.get('n', 256)},{s.get('k', 256)}"]
    if offline:
        cmd.append("--offline")
    try:
        out = run_cmd(cmd, CHILD_TIMEOUT_S, env)
    except subprocess.TimeoutExpired:
        return {"error": f"PyTorch ({threads} threads) timed out after "
                         f"{CHILD_TIMEOUT_S} s"}
    lines = out.stdout.strip().splitlines()
    try:
        res = json.loads(lines[-1]) if lines else None
    except ValueError:
        res = None
    if res is None:
        why = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"PyTorch ({threads} threads) exit {out.returncode}: {why}"}
    return res


# ---- mlsysbench runs -----------------------------------------------------------------

def measure_profile(binary, path):
    """`BINARY profile`: this machine's measured fp32 peak (per core and all cores) into
    path, for the runs' roofline blocks. Returns path, or None (the runs then use
    --profile auto) with the reason printed."""
    t0, cpu0 = time.monotonic(), cpu_seconds()
    try:
        out = run_cmd([binary, "profile", "--out", path, "--seconds", "3"], 120)
    except subprocess.TimeoutExpired:
        out = None
    busy = others_busy(cpu0, time.monotonic() - t0)
    if busy is not None and busy > BUSY_WARN:
        print(f"bench-peer: WARNING: other processes kept {busy:.0%} of the CPUs busy "
              "while the peak was measured: the peak is too low and the % of peak "
              "too high; pass --profile PATH with a profile measured on a quiet machine",
              flush=True)
    if out is None or out.returncode != 0 or not os.path.exists(path):
        why = "timed out" if out is None else (out.stderr.strip().splitlines() or
                                               ["no output"])[-1]
        print(f"bench-peer: cannot measure this machine's peak ({why}); GFLOP/s are "
              "placed on the auto profile", flush=True)
        return None
    return path


def run_ours(binary, name, scenario, threads, duration_ms, run_dir, target_qps=None,
             profile=None):
    """One `mlsysbench run`; its results.json `result` (with the `roofline` block as
    result["roofline"]) plus build, or {"error": why}. Exit 0 (VALID) and 3 (INVALID:
    the folder says why) both leave results.json."""
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = [binary, "run", "--workload", name, "--scenario", scenario, "--duration-ms",
           str(duration_ms), "--threads", str(threads), "--quiet", "--out", run_dir]
    if target_qps is not None:
        cmd += ["--target-qps", f"{target_qps:.0f}"]
    if profile:
        cmd += ["--profile", profile]
    try:
        out = run_cmd(cmd, duration_ms / 1000 + RUN_SLACK_S)
    except subprocess.TimeoutExpired:
        return {"error": f"mlsysbench {scenario} timed out"}
    path = os.path.join(run_dir, "results.json")
    if out.returncode not in (0, 3) or not os.path.exists(path):
        why = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"mlsysbench {scenario} exit {out.returncode}: {why}"}
    try:
        with open(path) as f:
            doc = json.load(f)
        res = doc["result"]
    except (OSError, ValueError, KeyError) as e:
        return {"error": f"mlsysbench {scenario}: cannot read {path}: {e}"}
    res["build"], res["command"] = doc.get("build"), " ".join(cmd)
    res["roofline"] = doc.get("roofline") or {}
    return res


def gflops(run):
    """(achieved GFLOP/s, fraction of the peak of the cores used, cores used) from a
    run's roofline block (FLOPs x completed samples/s); None where it could not say."""
    rl = run.get("roofline") or {}
    achieved = rl.get("achieved_flops")
    return (achieved / 1e9 if achieved else None, rl.get("fraction_of_peak_cores_used"),
            rl.get("cores_used"))


def gflops_batch1(ss, flops):
    """(GFLOP/s, fraction of one core's peak) while one sample computes: FLOPs / p50
    latency. SingleStream's samples/s also holds the gaps between samples (issue,
    completion, a preempted worker), so the roofline block's figure is lower."""
    p50 = (ss.get("latency") or {}).get("p50_ns")
    per_core = (ss.get("roofline") or {}).get("peak_flops_per_core")
    if not p50 or not flops:
        return None, None
    rate = flops / (p50 / 1e9)
    return rate / 1e9, rate / per_core if per_core else None


def measure_ours(binary, info, threads, duration_ms, runs_dir, profile=None):
    """Batch 1 (SingleStream, 1 worker) and Offline (THREADS workers) for one workload.
    Offline's --target-qps is THREADS x the batch-1 rate x 1.2; when the run ends
    before min_duration (we were faster than that) it is rerun once at 1.2 x what it
    measured, so the figure comes from a full-length run."""
    name = info["name"]
    ss = run_ours(binary, name, "singlestream", 1, duration_ms,
                  os.path.join(runs_dir, f"{name}-singlestream"), profile=profile)
    if "error" in ss:
        return {"error": ss["error"]}
    p50 = (ss.get("latency") or {}).get("p50_ns")
    if not p50:
        return {"error": "mlsysbench singlestream completed no samples"}
    res = {"batch1_latency_s": p50 / 1e9, "batch1_sps": 1e9 / p50,
           "batch1_valid": ss["valid"], "build": ss.get("build"),
           "commands": [ss["command"]]}
    res["batch1_gflops"], res["batch1_peak_fraction"] = gflops_batch1(ss, info.get("flops"))
    qps = 1.2 * threads * 1e9 / p50
    off_dir = os.path.join(runs_dir, f"{name}-offline")
    off = run_ours(binary, name, "offline", threads, duration_ms, off_dir, qps, profile)
    if "error" not in off and not off["checks"].get("min_duration_met", True):
        qps = 1.2 * off["samples_per_s"]
        off = run_ours(binary, name, "offline", threads, duration_ms, off_dir, qps,
                       profile)
    if "error" in off:
        res["error"] = off["error"]
        return res
    res["commands"].append(off["command"])
    res.update(offline_sps=off["samples_per_s"], offline_valid=off["valid"],
               offline_target_qps=round(qps), offline_reasons=off.get("reasons", []))
    res["offline_gflops"], res["offline_peak_fraction"], res["offline_cores"] = gflops(off)
    rl = ss.get("roofline") or {}
    res["peak_gflops_per_core"] = (rl["peak_flops_per_core"] / 1e9
                                   if rl.get("peak_flops_per_core") else None)
    res["profile"] = rl.get("profile")
    return res


# ---- the comparison ------------------------------------------------------------------

def ratio(ours, peer):
    return ours / peer if ours and peer else None


def compare(binary, info, args, runs_dir):
    """One table row (a dict) for workload info: both engines, ratios, goals."""
    name, threads = info["name"], args.threads
    row = {"workload": name, "params": info["params"], "macs": info["macs"]}
    t0, cpu0 = time.monotonic(), cpu_seconds()
    t1 = run_torch(info, 1, threads == 1, args.modes)
    tn = (t1 if threads == 1 or "error" in t1
          else run_torch(info, threads, True, args.modes))
    row["torch_1t"], row["torch_nt"] = t1, tn
    if t1.get("mismatch"):
        row["error"] = t1["error"]   # timing a different model would mean nothing
        row["others_busy"] = others_busy(cpu0, time.monotonic() - t0)
        return row
    ours = measure_ours(binary, info, threads, args.duration_ms, runs_dir, args.profile)
    row["ours"] = ours
    row["others_busy"] = others_busy(cpu0, time.monotonic() - t0)
    errors = [r["error"] for r in (ours, t1, tn) if "error" in r]
    if errors:
        row["error"] = "; ".join(dict.fromkeys(errors))
    best_b1 = max(t1.get("batch1_sps") or 0, tn.get("batch1_sps") or 0) or None
    row["batch1_ratio"] = ratio(ours.get("batch1_sps"), best_b1)
    row["offline_ratio"] = ratio(ours.get("offline_sps"), tn.get("offline_sps"))
    for key, goal in (("batch1", GOAL_BATCH1), ("offline", GOAL_OFFLINE)):
        r = row[f"{key}_ratio"]
        row[f"{key}_goal"] = None if r is None else "PASS" if r >= goal else "MISS"
    return row


def fmt(v, spec="{:,.0f}", suffix=""):
    return "-" if v is None else spec.format(v) + (f" {suffix}" if suffix else "")


def print_table(rows, threads):
    """The table of ratios; a row that failed or ran INVALID gets a line saying why."""
    cols = [("workload", 8), ("ours b1", 8), ("torch b1 1t", 12),
            (f"torch b1 {threads}t", 12), ("b1 ratio", 8), (">=2x", 4),
            ("ours Offline", 12), ("torch Offline (B)", 19), ("Off ratio", 9),
            (">=1x", 4)]

    def line(cells):  # the first column left-aligned, the others right-aligned
        return "  ".join(f"{c:>{w}}" if i else f"{c:<{w}}"
                         for i, (c, (_, w)) in enumerate(zip(cells, cols)))

    print(line([h for h, _ in cols]))
    for r in rows:
        ours, t1, tn = r.get("ours", {}), r.get("torch_1t", {}), r.get("torch_nt", {})
        off = (f"{tn.get('offline_mode')} {tn.get('offline_batch')}"
               if tn.get("offline_sps") else "")
        print(line([r["workload"], fmt(ours.get("batch1_sps")),
                    fmt(t1.get("batch1_sps"), suffix=t1.get("batch1_mode")),
                    fmt(tn.get("batch1_sps"), suffix=tn.get("batch1_mode")),
                    fmt(r.get("batch1_ratio"), "{:.2f}x"), r.get("batch1_goal") or "-",
                    fmt(ours.get("offline_sps")), fmt(tn.get("offline_sps"), suffix=off),
                    fmt(r.get("offline_ratio"), "{:.2f}x"),
                    r.get("offline_goal") or "-"]))
        if "error" in r:
            print(f"  {r['workload']}: {r['error']}")
        for note in dict.fromkeys(t1.get("notes", []) + tn.get("notes", [])):
            print(f"  {r['workload']}: PyTorch note: {note}")
        if (r.get("others_busy") or 0) > BUSY_WARN:
            print(f"  {r['workload']}: WARNING: other processes kept "
                  f"{r['others_busy']:.0%} of the CPUs busy while it ran; rerun on a "
                  "quiet machine")
        for key, scenario in (("batch1_valid", "singlestream"),
                              ("offline_valid", "offline")):
            if ours.get(key) is False:
                print(f"  {r['workload']}: our {scenario} run was INVALID "
                      f"({r['workload']}-{scenario}/summary.txt says why)")


def print_gflops(rows, threads):
    """Our achieved GFLOP/s (the workload's FLOPs x samples/s, from each run's roofline
    block) beside the measured fp32 peak of the cores each run used."""
    peak = next((r["ours"]["peak_gflops_per_core"] for r in rows
                 if (r.get("ours") or {}).get("peak_gflops_per_core")), None)
    profile = next((r["ours"]["profile"] for r in rows
                    if (r.get("ours") or {}).get("profile")), None)
    print(f"\nours, achieved GFLOP/s vs the fp32 peak of the cores used (profile "
          f"{profile or 'unknown'}: {fmt(peak, '{:.1f}')} GFLOP/s per core)")
    print("b1: FLOPs / p50 latency, against one core; Offline: FLOPs x samples/s, "
          f"against {threads} cores")
    cols = [("workload", 8), ("b1 GFLOP/s", 10), ("% of 1 core", 11),
            ("Offline GFLOP/s", 15), (f"% of {threads} cores", 12)]
    print("  ".join(f"{h:>{w}}" if i else f"{h:<{w}}" for i, (h, w) in enumerate(cols)))
    for r in rows:
        o = r.get("ours") or {}
        cells = [r["workload"], fmt(o.get("batch1_gflops"), "{:.1f}"),
                 fmt(o.get("batch1_peak_fraction"), "{:.0%}"),
                 fmt(o.get("offline_gflops"), "{:.1f}"),
                 fmt(o.get("offline_peak_fraction"), "{:.0%}")]
        print("  ".join(f"{c:>{w}}" if i else f"{c:<{w}}"
                        for i, (c, (_, w)) in enumerate(zip(cells, cols))))


def print_goals(rows):
    """One line per goal: how many workloads PASS and which MISS."""
    print()
    for key, goal, what in (("batch1", GOAL_BATCH1, "batch 1"),
                            ("offline", GOAL_OFFLINE, "Offline")):
        verdicts = {r["workload"]: r.get(f"{key}_goal") for r in rows}
        passed = [w for w, v in verdicts.items() if v == "PASS"]
        missed = [w for w, v in verdicts.items() if v != "PASS"]
        print(f"goal {what} >= {goal:g}x PyTorch: "
              f"{'PASS' if not missed else 'MISS'} ({len(passed)}/{len(verdicts)})"
              + (f"; missed: {', '.join(missed)}" if missed else ""))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def cpu_seconds():
    """(busy CPU-seconds of the whole machine from /proc/stat, CPU-seconds of this
    process and its waited-for children), or None when /proc/stat cannot be read."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:8]]
    except (OSError, ValueError):
        return None
    busy = sum(ticks) - ticks[3] - ticks[4]     # all but idle and iowait
    ours = sum(r.ru_utime + r.ru_stime
               for r in (resource.getrusage(resource.RUSAGE_SELF),
                         resource.getrusage(resource.RUSAGE_CHILDREN)))
    return busy / os.sysconf("SC_CLK_TCK"), ours


def others_busy(start, wall_s):
    """Fraction of all CPUs that processes other than ours kept busy since `start`
    (a cpu_seconds() reading) over wall_s seconds; None when unknown. Other work skews
    both engines, multi-threaded PyTorch most (one preempted thread stalls a call)."""
    end = cpu_seconds()
    if start is None or end is None or wall_s <= 0:
        return None
    others = (end[0] - start[0]) - (end[1] - start[1])
    return max(0.0, others / (wall_s * (os.cpu_count() or 1)))


def debian_version(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def print_header(meta):
    print(f"CPU {meta['cpu']}, {meta['threads']} threads; torch {meta['torch']} "
          f"(Debian python3-torch {meta['python3_torch_deb']}), BLAS {meta['blas']}")
    print("samples/s, higher is better; eager/jit: the faster PyTorch form (nn.Module, "
          "or traced+frozen TorchScript)")
    print("b1 = batch 1: ours SingleStream, 1 worker, 1e9/p50; torch: median call at 1 "
          "and N threads; ratio vs the faster")
    print(f"Offline: ours {meta['threads']} workers; torch the best batch B at "
          f"{meta['threads']} threads")
    print()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary", nargs="?", help="the mlsysbench binary")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", default="build/bench-peer.json")
    ap.add_argument("--duration-ms", type=int, default=3000)
    ap.add_argument("--workloads", help="comma-separated subset (default: all listed)")
    ap.add_argument("--profile", default="measure",
                    help="hardware profile our runs place their GFLOP/s against: "
                         "measure (default: `BINARY profile`, about 4 s), auto, or a "
                         "profile name or path")
    ap.add_argument("--modes", default="eager,jit",
                    help="PyTorch forms to time, the faster counts: eager (nn.Module in "
                         "inference_mode) and/or jit (traced, optimize_for_inference)")
    # The child process's own arguments (internal).
    ap.add_argument("--torch-child", help=argparse.SUPPRESS)
    ap.add_argument("--expect-params", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--expect-macs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--gemm", help=argparse.SUPPRESS)
    ap.add_argument("--offline", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.torch_child:
        return torch_child(args)
    if not args.binary or args.threads < 1:
        ap.error("give the mlsysbench binary and a thread count >= 1")
    if not set(args.modes.split(",")) <= {"eager", "jit"}:
        ap.error(f"--modes {args.modes}: use eager, jit or eager,jit")

    binary = os.path.abspath(args.binary)
    try:
        listed = list_workloads(binary)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"bench-peer: cannot list the workloads of {args.binary}: {e}",
              file=sys.stderr)
        return 1
    names = [w for w in listed if w in MODEL_WORKLOADS]
    if args.workloads:
        names = [w for w in args.workloads.split(",") if w]
        unknown = [w for w in names if w not in listed or w not in MODEL_WORKLOADS]
        if unknown:
            ap.error(f"not a model workload of {args.binary}: {', '.join(unknown)}")
    if not names:
        print(f"bench-peer: {args.binary} lists none of {', '.join(MODEL_WORKLOADS)}",
              file=sys.stderr)
        return 1
    json_dir = os.path.dirname(os.path.abspath(args.json))
    runs_dir = os.path.join(json_dir, "bench-peer-runs")
    os.makedirs(runs_dir, exist_ok=True)

    print(f"bench-peer: {args.binary} vs PyTorch CPU on {', '.join(names)}, "
          f"{args.threads} threads (about a minute each)", flush=True)
    if args.profile == "measure":
        args.profile = measure_profile(binary, os.path.join(runs_dir, "profile.json"))
    rows = []
    for name in names:
        print(f"  {name} ...", flush=True)
        rows.append(compare(binary, listed[name], args, runs_dir))

    torch_info = next((r["torch_nt"] for r in rows if "torch" in r.get("torch_nt", {})),
                      {})
    meta = {"threads": args.threads, "cpu": cpu_model(),
            "binary": args.binary,
            "build": next((r["ours"]["build"] for r in rows
                           if r.get("ours", {}).get("build")), None),
            "torch": torch_info.get("torch"),
            "python3_torch_deb": debian_version("python3-torch"),
            "blas": torch_info.get("blas"), "mkldnn": torch_info.get("mkldnn"),
            "modes": args.modes, "duration_ms": args.duration_ms,
            "profile": args.profile,
            "goals": {"batch1_ratio": GOAL_BATCH1, "offline_ratio": GOAL_OFFLINE}}
    print()
    print_header(meta)
    print_table(rows, args.threads)
    print_gflops(rows, args.threads)
    print_goals(rows)
    print(f"\nrun folders: {runs_dir}")

    os.makedirs(json_dir, exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"schema": "mlsysbench.bench-peer", "schema_version": 1, "meta": meta,
                   "rows": rows}, f, indent=1)
    print(f"table as JSON: {args.json}")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
