# The lock-order witness's reader (busybox awk, run by witness.sh on trace_pipe; see
# LockWitnessProgram). Reads trace_pipe lines; at the "patchcheck: end" marker prints
# `edge<TAB>A<TAB>B<TAB>count<TAB>task<TAB>step<TAB>instances` lines for the edges between
# sleeping locks, and `done<TAB>KEPT<TAB>ALL`. -v focus=FILE names the focus classes.
BEGIN {
  where = "boot"; ne = 0; finished = 0
  # The focus classes (lockdep cannot see them): their edges keep many instance pairs.
  while ((getline f < focus) > 0) isfocus[f] = 1
}
{
  # The common line, split into fields once (busybox awk spends thousands of instructions
  # on every index() or substr(), so the fewer the faster under TCG):
  #   sh-82  [000] ....1  12.345678: lock_acquire: ADDR [try ][read ]NAME
  if (($5 == "lock_acquire:" || $5 == "lock_release:") && substr($2, 1, 1) == "[" && NF >= 7) {
    task = $1
    fl = $3
    a = ($5 == "lock_acquire:")
    addr = $6
    i = 7
    try = 0
    if (a && $i == "try") { try = 1; i++ }
    if (a && $i == "read") i++
    name = $i
    for (i++; i <= NF; i++) name = name " " $i
    if (index(name, "\r")) sub(/\r$/, "", name)
  } else {
    # Anything else, and a task name with a space in it: the line read by position.
    line = $0
    sub(/\r$/, "", line)
    p = index(line, "tracing_mark_write: patchcheck: ")
    if (p > 0) {
      where = substr(line, p + 32)
      if (where == "end") { finish(); exit }
      next
    }
    a = index(line, " lock_acquire: ")
    r = index(line, " lock_release: ")
    if (a == 0 && r == 0) next
    b = index(line, "[")
    if (b == 0) next
    task = substr(line, 1, b - 1)
    gsub(/^ +| +$/, "", task)
    split(substr(line, b), f, " ")
    fl = f[2]
    body = substr(line, (a > 0 ? a : r) + 15)
    sp = index(body, " ")
    if (sp == 0) next
    addr = substr(body, 1, sp - 1)
    name = substr(body, sp + 1)
    try = 0
    if (a > 0 && substr(name, 1, 4) == "try ") { try = 1; name = substr(name, 5) }
    if (a > 0 && substr(name, 1, 5) == "read ") { name = substr(name, 6) }
  }
  # The reader itself and the runner (init) are not what a scenario drives.
  if (substr(task, 1, 4) == "awk-" || task == "init-1") next
  # The context flag: h/H hard interrupt, s softirq, z/Z NMI; anything else is a task.
  c = substr(fl, 3, 1)
  ctx = index("hsHzZ", c) ? c : "t"
  # Taken with interrupts off or in interrupt context: a spinning lock (lockdep validates
  # those itself). The preemption depth tells nothing: mutex_lock() reports its
  # acquisition with preemption disabled.
  inatomic = (substr(fl, 1, 1) == "d" || ctx != "t")
  key = task SUBSEP ctx
  d = depth[key] + 0
  if (a > 0) {
    # RCU readers never wait for each other: not locks a cycle can go through.
    if (substr(name, 1, 13) == "rcu_read_lock") next
    if (inatomic) atomic[name] = 1
    if (!try) for (k = 1; k <= d; k++) if (hn[key, k] != name) edge(hn[key, k], name, ha[key, k], addr, task)
    # Deeper than lockdep allows (48): releases were lost; start the task over.
    if (d >= 48) d = 0
    d++
    hn[key, d] = name
    ha[key, d] = addr
    depth[key] = d
  } else {
    for (k = d; k >= 1; k--) if (ha[key, k] == addr) {
      for (j = k; j < d; j++) { hn[key, j] = hn[key, j + 1]; ha[key, j] = ha[key, j + 1] }
      depth[key] = d - 1
      break
    }
  }
}
function edge(x, y, xa, ya, t,    e, pair) {
  e = x "\t" y
  if (++cnt[e] == 1) {
    ne++; order[ne] = e; first[e] = t "\t" where; ni[e] = 0; insts[e] = ""
    lim[e] = (x in isfocus) || (y in isfocus) ? 64 : 2
  }
  if (ni[e] >= lim[e]) return
  pair = xa " " ya
  if ((e SUBSEP pair) in seen) return
  seen[e SUBSEP pair] = 1
  ni[e]++
  insts[e] = insts[e] (ni[e] > 1 ? "," : "") pair
}
function finish(    i, e, parts, kept) {
  if (finished) return
  finished = 1
  kept = 0
  for (i = 1; i <= ne; i++) {
    e = order[i]
    split(e, parts, "\t")
    if ((parts[1] in atomic) || (parts[2] in atomic)) continue
    kept++
    printf "edge\t%s\t%d\t%s\t%s\n", e, cnt[e], first[e], insts[e]
  }
  print "done\t" kept "\t" ne
}
END { finish() }
