<#
.SYNOPSIS
    B3 for Copy-BedrockModelSource with its defaults (validation, part size, concurrency, checksums), in a fresh pwsh.
    Peak RSS is the whole process's (pwsh itself included); baselineRssBytes is the peak before the copy started.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EndpointFile,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $Folder,
    [Parameter(Mandatory)] [string] $Destination,
    # B4: copy this Hub repository (org/name) from the endpoint's Hub mirror instead of a local folder.
    [string] $HuggingFaceModel
)
. (Join-Path $PSScriptRoot 'Common.ps1')
$aws = Get-EndpointParameters (Read-BenchEndpoint $EndpointFile)
Import-Module $ModulePath
$baseline = Get-PeakRssBytes

# Bytes this process caused to be written to storage (Linux /proc/self/io write_bytes): B4's "0 bytes to disk".
function Get-DiskWriteBytes {
    $line = Get-Content /proc/self/io -ErrorAction SilentlyContinue | Where-Object { $_ -like 'write_bytes:*' }
    if ($line) { [long] ($line -split ':')[1].Trim() } else { $null }
}

$cpuBefore = Get-CpuMilliseconds
$threadsBefore = Get-ThreadCpuMilliseconds
# Time the JIT spent compiling (all threads: tiered recompiles in the background and first calls alike) and methods compiled.
$jitBefore = [System.Runtime.JitInfo]::GetCompilationTime($false).TotalMilliseconds
$jitMethodsBefore = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
$writtenBefore = Get-DiskWriteBytes
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$copy = if ($HuggingFaceModel) {
    Copy-BedrockModelSource @aws -HuggingFaceModel $HuggingFaceModel -HuggingFaceEndpoint $aws.EndpointUrl -Destination $Destination -CreateBucket
}
else {
    Copy-BedrockModelSource @aws -Path $Folder -Destination $Destination -CreateBucket
}
$seconds = $clock.Elapsed.TotalSeconds
$cpuMs = (Get-CpuMilliseconds) - $cpuBefore
$jitMs = [System.Runtime.JitInfo]::GetCompilationTime($false).TotalMilliseconds - $jitBefore
$jitMethods = [System.Runtime.JitInfo]::GetCompiledMethodCount($false) - $jitMethodsBefore
$threadsAfter = Get-ThreadCpuMilliseconds
$tieredJitThreadCpuMs = [double] $threadsAfter['.NET Tiered Com'] - [double] $threadsBefore['.NET Tiered Com']
$writtenAfter = Get-DiskWriteBytes
$diskWriteBytes = if ($null -ne $writtenBefore -and $null -ne $writtenAfter) { $writtenAfter - $writtenBefore } else { $null }

Write-BenchResult $ResultPath ([ordered]@{ files = $copy.Files; bytes = $copy.Bytes; skipped = $copy.Skipped; seconds = $seconds; cpuMs = $cpuMs
        baselineRssBytes = $baseline; diskWriteBytes = $diskWriteBytes; jitMs = $jitMs; jitMethods = $jitMethods; tieredJitThreadCpuMs = $tieredJitThreadCpuMs })
