#!/usr/bin/env python3
"""Who holds a process's anonymous memory.

Replays a log from mmap_trace.so (the mappings made through libc that are
still there at the end) against a copy of /proc/PID/smaps taken at that
moment, and prints the resident memory of those mappings grouped by the
functions that made them, then how much anonymous memory no logged mapping
explains: under ASan, mostly ASan's own (it maps with direct system calls).
A mapping ASan unmapped with a direct call stays in the log; it counts only
where smaps still shows anonymous memory. Frames are named with addr2line
from the libraries' load addresses in the smaps copy.

    tests/sanitizer/mmap_owners.py /tmp/mm.PID /tmp/smaps-at-the-end [GROUPS]
"""
import collections
import re
import subprocess
import sys

ASAN_HEAP = (0x600000000000, 0x640000000000)
ASAN_SHADOW = (0x7FFF8000, 0x10007FFF8000)


def replay(path):
    """Start address -> (end, frames) of every logged mapping still there."""
    alive = {}

    def unmap(begin, length):
        end = begin + length
        for start in list(alive):
            stop, frames = alive[start]
            if stop <= begin or start >= end:
                continue
            del alive[start]
            if start < begin:
                alive[start] = (begin, frames)
            if stop > end:
                alive[end] = (stop, frames)

    for line in open(path):
        fields = line.split()
        if len(fields) < 4:
            continue
        begin, length = int(fields[1], 16), int(fields[2])
        unmap(begin, length)  # a new mapping replaces whatever was there
        if fields[0] == "M":
            alive[begin] = (begin + length, tuple(fields[4:]))
    return alive


def read_smaps(path):
    maps = []
    for line in open(path):
        fields = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+$", fields[0]):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            maps.append({"start": start, "end": end, "offset": int(fields[2], 16),
                         "path": fields[5] if len(fields) >= 6 else "", "rss": 0})
        elif fields[0] == "Rss:":
            maps[-1]["rss"] = int(fields[1])
    return maps


def main():
    alive = replay(sys.argv[1])
    maps = read_smaps(sys.argv[2])
    groups_shown = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    bases = {}
    for m in maps:
        if m["path"].startswith("/") and m["path"] not in bases:
            bases[m["path"]] = m["start"] - m["offset"]
    anonymous = [m for m in maps if not m["path"].startswith("/")]

    def resident_kb(begin, end):
        kb = 0.0
        for m in anonymous:
            low, high = max(m["start"], begin), min(m["end"], end)
            if low < high:
                kb += m["rss"] * (high - low) / (m["end"] - m["start"])
        return kb

    names = {}

    def name(address):
        address = int(address, 16)
        for m in maps:
            if m["start"] <= address < m["end"] and m["path"].startswith("/"):
                library, offset = m["path"], address - bases[m["path"]]
                if (library, offset) not in names:
                    out = subprocess.run(["addr2line", "-f", "-C", "-e", library, hex(offset - 1)],
                                         capture_output=True, text=True).stdout.split("\n")
                    names[(library, offset)] = f"{library.split('/')[-1]}: {out[0][:100]}"
                return names[(library, offset)]
        return hex(address)

    groups = collections.defaultdict(lambda: [0.0, 0, 0])
    for start, (end, frames) in alive.items():
        group = groups[frames[1:7]]  # frames[0] is the shim itself
        group[0] += resident_kb(start, end)
        group[1] += 1
        group[2] += end - start
    logged = sum(g[0] for g in groups.values())
    print(f"mappings made through libc, still there: {len(alive)}, {logged / 1024:.1f} MiB resident")
    for frames, (kb, count, size) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:groups_shown]:
        print(f"\n{kb / 1024:.1f} MiB resident in {count} mappings ({size >> 20} MiB mapped)")
        for address in frames:
            print("   ", name(address))

    def inside(m, span):
        return span[0] <= m["start"] < span[1]

    other = sum(m["rss"] for m in anonymous
                if not m["path"].startswith("[") and not inside(m, ASAN_HEAP) and not inside(m, ASAN_SHADOW))
    print(f"\nother anonymous memory: {other / 1024:.1f} MiB resident, "
          f"{(other - logged) / 1024:.1f} MiB of it not mapped through libc")


if __name__ == "__main__":
    main()
