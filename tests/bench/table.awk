# The rows the benchmarks left (step, cfir, baseline, ratio, aim, peak RSS,
# tab-separated) as one table, each ratio against its aim.
BEGIN { FS = "\t"; n = 0 }
{ step[n] = $1; c[n] = $2; b[n] = $3; r[n] = $4; aim[n] = $5; rss[n] = $6; n++ }
function met(ratio, a,    op, v) {
	if (a == "") return ""
	op = substr(a, 1, 1) == "<" ? "<=" : ">="
	v = a; sub(/^[<>]=?/, "", v)
	return (op == "<=" ? ratio + 0 <= v + 0 : ratio + 0 >= v + 0) ? "met" : "NOT MET"
}
END {
	printf "\n%-34s %-30s %-40s %7s %7s %-8s %s\n", "STEP", "CFIR", "BASELINE", "RATIO", "AIM", "", "PEAK RSS"
	for (i = 0; i < n; i++)
		printf "%-34s %-30s %-40s %7s %7s %-8s %s\n", step[i], c[i], b[i], r[i], aim[i], met(r[i], aim[i]), rss[i]
}
