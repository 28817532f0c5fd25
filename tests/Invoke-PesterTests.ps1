<#
.SYNOPSIS
    Runs the Pester suites against the built module in this (fresh) pwsh, and writes a pass/fail summary.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [switch] $Full
)

$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
$nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
Import-Module (Join-Path $nugetRoot 'pester/5.7.1/tools/Pester.psd1') -Force

# The suites read these to find the module and the size of the fault suites.
$env:BEDROCKIMPORT_MODULE = (Resolve-Path $ModulePath).Path
$env:BEDROCKIMPORT_FULL = if ($Full) { '1' } else { '' }

$configuration = New-PesterConfiguration
$configuration.Run.Path = Join-Path $PSScriptRoot 'BedrockImport.Tests'
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'JUnitXml'
$configuration.TestResult.OutputPath = Join-Path $ResultsPath 'pester.xml'

$result = Invoke-Pester -Configuration $configuration
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount } |
    ConvertTo-Json | Set-Content -Path $SummaryPath
exit ([int] ($result.FailedCount -gt 0 -or $result.FailedBlocksCount -gt 0 -or $result.FailedContainersCount -gt 0))
