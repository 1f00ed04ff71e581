# Latency report: ${verdict}

<#list reasons as r>
- ${r}
</#list>

<#if causes?has_content>
## Why

<#list causes as c>
- **${c.title}** (`${c.code}`)<#if c.windows gt 0>, in ${c.windows} of the worst windows, the worst ${c.worstUs} µs</#if>: ${c.evidence}.
  What to change: ${c.remedy}.
</#list>

</#if>
<#if interference?has_content>
## What else ran on the measured vCPUs

Before the measuring thread, across all ${windowsTraced?c} traced windows (results/autopsy/), the most time first: what
eats the budget's margin though it may never make the worst window.

| VM | vCPU | what ran | cause | windows | longest µs | total µs |
|---|---:|---|---|---:|---:|---:|
<#list interference as i>
| ${i.vm} | ${i.vcpu} | ${i.source?replace("|", "\\|")} | `${i.code}` | ${i.windows?c} | ${i.worstUs} | ${i.totalUs} |
</#list>

<#list interferenceRemedies as c>
- `${c.code}`: ${c.remedy}.
</#list>

</#if>
Thresholds: great below ${great} µs, good below ${good} µs (worst latency of any thread decides).
Source: `${source}`<#if cmdline?has_content>; `${cmdline}`</#if>.
<#if !histogram>
Percentiles need cyclictest's histogram (`-h`); this output has only its summary lines.
</#if>

| thread | samples | min | avg | p50 | p99 | p99.9 | p99.99 | max | overflows |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
<#list rows as r>
| ${r.label} | ${r.samples?c} | ${r.min?c} | ${r.avg} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.p9999} | ${r.max?c} | ${r.overflows?c} |
</#list>

All latencies in µs. `≥N`: the percentile lies beyond the ${buckets} µs histogram, so only its lower bound is known.
