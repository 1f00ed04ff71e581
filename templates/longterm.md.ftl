# Latency since handover

The real-time guests' latency sampler (`rtc-monitor.timer`: ${window} s of cyclictest every ${every} minutes at SCHED_FIFO 1), day by day (UTC), the worst day first.
<#if (good > 0)>Thresholds: great below ${great} µs, good below ${good} µs; a day over ${good} µs had at least one wake-up the benchmark would judge FAIL.
<#else>The manifest has no benchmark, so no thresholds to hold the days to.
</#if>
<#list vms as vm>

## ${vm.name}

${vm.dayCount} day<#if vm.dayCount != 1>s</#if>, ${vm.first} to ${vm.last}; the worst, ${vm.worstDay}: ${vm.worstUs} µs<#if (good > 0)>; days over the budget: ${vm.overBudget}</#if>.

| Day | Worst (µs) | 99.9% (µs) | 99.99% (µs) | Samples | Windows |
|-----|-----------:|-----------:|------------:|--------:|--------:|
<#list vm.rows as r>
| ${r.date}<#if r.cls == "fail"> (over budget)</#if> | ${r.max?c} | ${r.p999} | ${r.p9999} | ${r.samples?c} | ${r.windows?c} |
</#list>
</#list>
