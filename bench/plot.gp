# Grouped bars: each server's throughput per scenario, relative to ours (= 1).
# Made by bench/run.sh:
#   gnuplot -e "datafile='build/bench/results.dat'; outfile='docs/bench.png'" bench/plot.gp
if (!exists("datafile")) datafile = 'build/bench/results.dat'
if (!exists("outfile")) outfile = 'docs/bench.png'

set terminal pngcairo size 1280,560 font "sans,11"
set output outfile
set title "Throughput relative to httpd (= 1): a bar above the dashed line is a peer faster than ours\n1 server core (capped: 25 % of it), wrk -t1 on the other; median of the per-round ratios; log scale"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.02:*]
set ytics ("0.05" 0.05, "0.1" 0.1, "0.25" 0.25, "0.5" 0.5, "1" 1, "2" 2, "4" 4, "8" 8)
set grid ytics
set key outside right top vertical
set ylabel "req/s of server / req/s of httpd"
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "black" front

# Colours in the column order report.py writes: httpd nginx lighttpd h2o busybox canned
set linetype 1 lc rgb "#d62728"
set linetype 2 lc rgb "#2ca02c"
set linetype 3 lc rgb "#1f77b4"
set linetype 4 lc rgb "#ff7f0e"
set linetype 5 lc rgb "#7f7f7f"
set linetype 6 lc rgb "#9467bd"
plot for [i=2:*] datafile index 0 using i:xtic(1) title columnheader(i) lt i-1
