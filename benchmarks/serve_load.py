"""Load on `bilstm-emotion serve`: concurrent cameras over WebSocket, then photo uploads.

Starts the server as a user does (its own process, default model and detector),
then for each ``--clients`` count: that many WebSocket clients on localhost each
send a 640x480 JPEG of a face at ``--fps`` for ``--seconds`` without waiting for
answers (a client faster than the server), and record per-frame latency (send
to answer) of the frames analysed, the frames the server dropped, and errors.
Then ``--uploads`` concurrent clients POST a photo to ``/api/predict`` for
``--seconds``: requests per second (a ``429``, every upload slot busy, is
counted and sent again); then one camera beside those uploads. The server's
resident memory is read before, between and after the phases. Last, a video
call shared from the Call tab: one stream of a 1280x720 call window with
``--call-people`` participants (a 3x3 grid of faces about 95 pixels high for
nine) at ``--call-fps`` for ``--call-seconds``: frames analysed per second,
per-frame latency, and faces found per frame against faces shown. The server
runs with its access checks and limits on (Host, Origin, upload slots, work
limits).

    python benchmarks/serve_load.py --out benchmarks/results/serve_load.json
"""

import argparse
import asyncio
import io
import json
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
from _common import write_report


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def encode_jpeg(rgb):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def frame_jpeg():
    from PIL import Image
    from skimage import data

    face = Image.fromarray(data.astronaut()[:384, 64:448]).resize((640, 480))
    return encode_jpeg(np.asarray(face))


def call_jpeg(people):
    """A 1280x720 call window of ``people`` participants, as the Call tab sends it."""
    from bilstm_emotion.video import demo_participants, make_demo_call

    return encode_jpeg(make_demo_call(demo_participants(people), size=(1280, 720)))


async def camera(url, jpeg, fps, seconds, out):
    import websockets

    sent, latencies, dropped, errors, faces, ids = {}, [], 0, 0, [], set()
    async with websockets.connect(url, max_size=2**24) as ws:
        json.loads(await ws.recv())  # hello

        async def send():
            for i in range(int(fps * seconds)):
                sent[i] = time.perf_counter()
                await ws.send(jpeg)
                await asyncio.sleep(1 / fps)

        async def receive():
            nonlocal dropped, errors
            answered = 0
            while answered < int(fps * seconds):
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=120))
                if message["type"] == "result":
                    latencies.append(time.perf_counter() - sent[message["frame"]])
                    errors += bool(message.get("error"))
                    faces.append(len(message["faces"]))
                    ids.update(f["face"] for f in message["faces"])
                elif message["type"] == "dropped":
                    dropped += 1
                else:
                    errors += 1
                answered += message.get("frame") is not None

        await asyncio.gather(send(), receive())
    out.append(
        {
            "latencies": latencies,
            "dropped": dropped,
            "errors": errors,
            "sent": len(sent),
            "faces": faces,
            "ids": ids,
        }
    )


async def cameras(url, n, jpeg, fps, seconds):
    out = []
    results = await asyncio.gather(
        *(camera(url, jpeg, fps, seconds, out) for _ in range(n)), return_exceptions=True
    )
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    lat = np.array([x for r in out for x in r["latencies"]]) * 1000
    sent = sum(r["sent"] for r in out)
    return {
        "clients": n,
        "fps_per_client": fps,
        "seconds": seconds,
        "frames_sent": sent,
        "frames_analysed": int(lat.size),
        "frames_dropped": sum(r["dropped"] for r in out),
        "errors": sum(r["errors"] for r in out) + len(failures),
        "failures": failures,
        "latency_ms_p50": float(np.percentile(lat, 50)) if lat.size else None,
        "latency_ms_p99": float(np.percentile(lat, 99)) if lat.size else None,
        "analysed_per_s": lat.size / seconds,
    }


async def uploads(base, n, jpeg, seconds):
    """``n`` clients posting a photo for ``seconds``; a ``429`` (all upload slots busy)
    is counted as ``busy`` and sent again after a short pause, as a client should."""
    import httpx

    counts = {"ok": 0, "busy": 0, "errors": 0}

    async def client():
        async with httpx.AsyncClient(base_url=base, timeout=120) as c:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                r = await c.post("/api/predict", files=[("files", ("a.jpg", jpeg))])
                if r.status_code == 429:
                    counts["busy"] += 1
                    await asyncio.sleep(0.05)
                else:
                    counts["ok" if r.status_code == 200 else "errors"] += 1

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(n)))
    elapsed = time.perf_counter() - start
    return {
        "clients": n,
        "seconds": round(elapsed, 1),
        **counts,
        "requests_per_s": counts["ok"] / elapsed,
    }


async def camera_beside_uploads(url, base, n, jpeg, fps, seconds):
    """One camera while ``n`` clients post photos: what the camera still gets."""
    camera_row, upload_row = await asyncio.gather(
        cameras(url, 1, jpeg, fps, seconds), uploads(base, n, jpeg, seconds)
    )
    return {"camera": camera_row, "uploads": upload_row}


async def call_stream(url, jpeg_bytes, people, fps, seconds):
    """One shared call (``?source=call``): the camera phase's numbers, and the faces
    found per analysed frame against the ``people`` shown."""
    out = []
    try:
        await camera(url + "?source=call", jpeg_bytes, fps, seconds, out)
    except Exception as exc:  # reported in the JSON, as the other phases' failures are
        return {"failures": [repr(exc)]}
    (result,) = out
    lat = np.array(result["latencies"]) * 1000
    found = np.array(result["faces"])
    return {
        "frame_size": [1280, 720],
        "faces_shown": people,
        "fps_sent": fps,
        "seconds": seconds,
        "frames_sent": result["sent"],
        "frames_analysed": int(lat.size),
        "frames_dropped": result["dropped"],
        "errors": result["errors"],
        "analysed_per_s": lat.size / seconds,
        "latency_ms_p50": float(np.percentile(lat, 50)) if lat.size else None,
        "latency_ms_p99": float(np.percentile(lat, 99)) if lat.size else None,
        "faces_found_mean": float(found.mean()) if found.size else None,
        "faces_found_min": int(found.min()) if found.size else None,
        "frames_with_every_face": float((found == people).mean()) if found.size else None,
        "participant_ids": len(result["ids"]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 4, 8])
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--uploads", type=int, default=4)
    parser.add_argument("--call-people", type=int, default=9)
    parser.add_argument("--call-fps", type=float, default=2.0)
    parser.add_argument("--call-seconds", type=float, default=30.0)
    parser.add_argument("--out", default="benchmarks/results/serve_load.json")
    args = parser.parse_args(argv)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "bilstm_emotion", "serve", "--port", str(port), "--quiet"]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(360):
            try:
                urllib.request.urlopen(base + "/api/health", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        jpeg = frame_jpeg()
        memory = {"start": rss_mb(server.pid)}
        phases = []
        for n in args.clients:
            row = asyncio.run(
                cameras(f"ws://127.0.0.1:{port}/ws/stream", n, jpeg, args.fps, args.seconds)
            )
            row["rss_mb_after"] = rss_mb(server.pid)
            phases.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "failures"}), flush=True)
        memory["after_cameras"] = rss_mb(server.pid)
        upload = asyncio.run(uploads(base, args.uploads, jpeg, args.seconds))
        print(json.dumps(upload), flush=True)
        stream = f"ws://127.0.0.1:{port}/ws/stream"
        beside = asyncio.run(
            camera_beside_uploads(stream, base, args.uploads, jpeg, args.fps, args.seconds)
        )
        camera_row = beside["camera"]
        print(
            json.dumps(
                {
                    "camera_beside_uploads": camera_row["frames_analysed"],
                    "dropped": camera_row["frames_dropped"],
                }
            ),
            flush=True,
        )
        memory["after_uploads"] = rss_mb(server.pid)
        # the same again: memory that keeps growing would be a leak, not warm-up
        again = asyncio.run(
            cameras(
                f"ws://127.0.0.1:{port}/ws/stream", max(args.clients), jpeg, args.fps, args.seconds
            )
        )
        upload_again = asyncio.run(uploads(base, args.uploads, jpeg, args.seconds))
        memory["after_second_round"] = rss_mb(server.pid)
        print(json.dumps(memory), flush=True)
        call = asyncio.run(
            call_stream(
                f"ws://127.0.0.1:{port}/ws/stream",
                call_jpeg(args.call_people),
                args.call_people,
                args.call_fps,
                args.call_seconds,
            )
        )
        memory["after_call"] = rss_mb(server.pid)
        print(json.dumps({"call": call}), flush=True)
        health = json.loads(urllib.request.urlopen(base + "/api/health").read())
    finally:
        server.terminate()
        server.wait(timeout=30)
    write_report(
        {
            "benchmark": "serve_load",
            "cameras": phases,
            "uploads": upload,
            "camera_beside_uploads": beside,
            "rss_mb": memory,
            "second_round": {"cameras": again, "uploads": upload_again},
            "call": call,
            "server_counters": health["frames"],
        },
        args.out,
    )


if __name__ == "__main__":
    main()
