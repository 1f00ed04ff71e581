<#-- rtc explain: the plan in a terminal. The same model and content as plan.md, laid out for 100 columns. -->
Plan for ${bundle}: ${vms?size} VMs; housekeeping CPUs ${housekeeping}, isolated CPUs ${isolated}
Power: ${power.mode}: <#if power.balanced><#if power.held?has_content>CPUs ${power.held} held out of deep C-states at full clock (the real-time VMs')<#else>no CPU held (no real-time VM)</#if>; <#if power.free?has_content>CPUs ${power.free} sleep and clock down<#else>no CPU left to sleep</#if><#else>every CPU held out of deep C-states at a fixed clock (balanced would hold <#if power.realtime?has_content>only ${power.realtime}<#else>none</#if>)</#if>

CPU map, one character per CPU in ascending order within each NUMA node:
<#list nodes as n>
  node ${n.id}  ${n.map}   CPUs ${n.cpus}
<#if n.types??>
  ${""?left_pad(5 + n.id?string?length)}  ${n.types}   core types: P = P-core, E = E-core, L = low-power E-core
</#if>
</#list>
<#list legend as l>
  ${l.mark}  ${l.meaning}
</#list>

VMs, in start order:
<#list vms as vm>
  ${vm.order}. ${vm.name} (${vm.role}, ${vm.letter}): NUMA node ${vm.node}${vm.coreType}, ${vm.vcpus} vCPUs, ${vm.memory}
     vCPU -> host CPU: ${vm.pins}
     emulator threads: CPUs ${vm.emulator}
<#if vm.role == "realtime">
     real-time vCPUs in the guest: ${vm.rtVcpus} (FIFO 10); ${vm.guestHk} guest housekeeping (FIFO 1)
</#if>
<#list vm.cache as c>
     cache: ${c}
</#list>
<#list vm.bandwidth as b>
     memory bandwidth: ${b}
</#list>
<#list vm.devices as d>
     ${d}
</#list>
</#list>
<#if cache??>

L${cache.level} way map: ${cache.size} per instance in ${cache.ways} ways (cbm_mask ${cache.cbmMask}), ${cache.wayBytes} per way,
min_cbm_bits ${cache.minCbmBits}, ${cache.closidsSaid}. H host default group, a VM's letter its group, . unallocated:
<#list cache.instances as i>
  instance ${i.id}  ${i.map}   ${i.owners}
</#list>
              ${cache.scale}
  host asked ${cache.hostAsked}, keeps ${cache.hostWays} ways: ${cache.schemata}
</#if>

Kernel arguments, host (${hostArgs?size}): ${hostCmdline}
<#list vms as vm>
<#if vm.guestArgs?has_content>
Kernel arguments, guest ${vm.name} (${vm.guestArgs?size}): <#list vm.guestArgs as a>${a.arg}<#sep> </#list>
</#if>
</#list>

Decisions, each with its reason:
<#list decisions as d>
  - ${d.subject}: ${d.what}.
      why: ${d.why}.
</#list>
