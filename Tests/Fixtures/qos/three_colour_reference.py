#!/usr/bin/env python3
"""The three-colour markers as the RFCs write them, for ThreeColourMarkerTests.

Written from the RFC text, not from the Swift code: RFC 2697 (srTCM) sections 2 and 3,
RFC 2698 (trTCM) sections 2 and 3, RFC 4115 (a trTCM with committed and excess buckets)
section 3. Each bucket starts full at the first packet and gains one token every 1/rate
seconds from then on; a packet of B tokens is compared with the buckets when it arrives.

stdin: {"algorithm": "srtcm" | "trtcm" | "rfc4115", "params": [...], "aware": bool,
        "packets": [[time_ns, size, precolour or null], ...]}
stdout: one colour per packet ("green", "yellow", "red"), space separated.
"""
import json
import sys


def ticks(start, now, rate):
    return (now - start) * rate // 10**9


def srtcm(params, packets, aware):
    cir, cbs, ebs = params
    tc, te = cbs, ebs
    start = None
    counted = 0
    for now, size, pre in packets:
        if start is None:
            start = now
        total = ticks(start, now, cir)
        for _ in range(min(total - counted, cbs + ebs + 1)):
            # RFC 2697 2.2: "if Tc is less than CBS, Tc is incremented by one, else if Te is
            # less than EBS, Te is incremented by one, else neither".
            if tc < cbs:
                tc += 1
            elif te < ebs:
                te += 1
        counted = total
        colour = pre if aware else "green"
        # RFC 2697 3: colour-blind and colour-aware modes (blind = everything pre-green).
        if colour == "green" and tc - size >= 0:
            tc -= size
            yield "green"
        elif colour in ("green", "yellow") and te - size >= 0:
            te -= size
            yield "yellow"
        else:
            yield "red"


def trtcm(params, packets, aware):
    cir, cbs, pir, pbs = params
    tc, tp = cbs, pbs
    start = None
    counted_c = counted_p = 0
    for now, size, pre in packets:
        if start is None:
            start = now
        # RFC 2698 2: Tp grows PIR times a second up to PBS, Tc CIR times up to CBS.
        total_c, total_p = ticks(start, now, cir), ticks(start, now, pir)
        tc = min(cbs, tc + (total_c - counted_c))
        tp = min(pbs, tp + (total_p - counted_p))
        counted_c, counted_p = total_c, total_p
        colour = pre if aware else "green"
        # RFC 2698 3.
        if colour == "red" or tp - size < 0:
            yield "red"
        elif colour == "yellow" or tc - size < 0:
            tp -= size
            yield "yellow"
        else:
            tp -= size
            tc -= size
            yield "green"


def rfc4115(params, packets, aware):
    cir, cbs, eir, ebs = params
    tc, te = cbs, ebs
    start = None
    counted_c = counted_e = 0
    for now, size, pre in packets:
        if start is None:
            start = now
        # RFC 4115 3: Tc grows CIR times a second up to CBS, Te EIR times up to EBS.
        total_c, total_e = ticks(start, now, cir), ticks(start, now, eir)
        tc = min(cbs, tc + (total_c - counted_c))
        te = min(ebs, te + (total_e - counted_e))
        counted_c, counted_e = total_c, total_e
        colour = pre if aware else "green"
        if colour == "green" and tc - size >= 0:
            tc -= size
            yield "green"
        elif colour in ("green", "yellow") and te - size >= 0:
            te -= size
            yield "yellow"
        else:
            yield "red"


request = json.load(sys.stdin)
marker = {"srtcm": srtcm, "trtcm": trtcm, "rfc4115": rfc4115}[request["algorithm"]]
print(" ".join(marker(request["params"], request["packets"], request["aware"])))
