"""Writes a horizontal bar chart as SVG (no plotting library needed) from lines on stdin:
`name packets_per_second tcp_gbps`. Used by bench/tap-pair.sh for bench/results/*.svg."""
import sys

title = sys.argv[1] if len(sys.argv) > 1 else "benchmark"
rows = [line.split() for line in sys.stdin if line.strip()]
rows = [(name, float(pps), gbps) for name, pps, gbps in rows]
top = max(pps for _, pps, _ in rows) or 1
bar_left, bar_width, row_height = 130, 420, 34
height = 60 + row_height * len(rows) + 30
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{bar_left + bar_width + 200}" height="{height}" '
       'font-family="sans-serif" font-size="13">',
       f'<text x="10" y="24" font-size="15" font-weight="bold">{title}</text>']
for index, (name, pps, gbps) in enumerate(rows):
    y = 50 + index * row_height
    width = bar_width * pps / top
    colour = "#4878a8" if name in ("passthrough", "four-vnf") else "#999999"
    out.append(f'<text x="10" y="{y + 18}">{name}</text>')
    out.append(f'<rect x="{bar_left}" y="{y + 4}" width="{width:.1f}" height="{row_height - 10}" fill="{colour}"/>')
    out.append(f'<text x="{bar_left + width + 6:.1f}" y="{y + 18}">{pps / 1e6:.3f} Mpps, TCP {gbps} Gbit/s</text>')
out.append(f'<text x="10" y="{height - 10}" fill="#555">blue: nfv-dataplane chains; grey: references '
           '(bare TAP forwarder, kernel veth forwarding)</text>')
out.append("</svg>")
print("\n".join(out))
