<#
.SYNOPSIS
    B3 for Copy-BedrockModelSource with its defaults (validation, part size, concurrency, checksums), in a fresh pwsh.
    Peak RSS is the whole process's (pwsh itself included); baselineRssBytes is the peak before the copy started.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EndpointFile,
    [Parameter(Mandatory)] [string] $ResultPath,
    [Parameter(Mandatory)] [string] $Folder,
    [Parameter(Mandatory)] [string] $Destination
)
. (Join-Path $PSScriptRoot 'Common.ps1')
$aws = Get-EndpointParameters (Read-BenchEndpoint $EndpointFile)
Import-Module $ModulePath
$baseline = Get-PeakRssBytes

$cpuBefore = Get-CpuMilliseconds
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$copy = Copy-BedrockModelSource @aws -Path $Folder -Destination $Destination -CreateBucket
$seconds = $clock.Elapsed.TotalSeconds
$cpuMs = (Get-CpuMilliseconds) - $cpuBefore

Write-BenchResult $ResultPath ([ordered]@{ files = $copy.Files; bytes = $copy.Bytes; skipped = $copy.Skipped; seconds = $seconds; cpuMs = $cpuMs; baselineRssBytes = $baseline })
