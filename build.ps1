<#
.SYNOPSIS
    Builds, tests, demonstrates and benchmarks the BedrockImport module.
.DESCRIPTION
    Build  lays out the complete module in out/BedrockImport (manifest, format file, help, core/ and desktop/
           builds with their private dependencies/ folders, and the local endpoint in endpoint/).
    Test   builds, then runs every test: xunit (engine, local endpoint), Pester against the built module in a fresh
           pwsh, and the AWS SDK for JavaScript conformance suite; prints one line 'N passed, N failed'.
    Demo   builds, then runs the main job end to end against the local endpoint.
    Bench  builds, then runs the benchmarks and writes bench/results/<date>.md and .json.
    Package builds, then writes the PowerShell Gallery-ready out/BedrockImport.<version>.nupkg (build/New-ModulePackage.ps1).
    Clean  removes out/ and every bin/ and obj/ folder.
    Fuzz   runs every fuzz target (or -Target) under AFL++ for -Minutes each, then replays what it found with the
           uninstrumented build and prints target, execs, CPU-minutes, crashes and hangs (docs/FUZZING.md).
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package', 'Clean', 'Fuzz')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Fault suites and benchmarks at full size instead of CI-friendly sizes.
    [switch] $Full,

    # Fuzz: minutes of AFL++ per target, and one target instead of all (names: dotnet fuzz/.../BedrockImport.Fuzz.dll list).
    [double] $Minutes = 1,
    [string] $Target
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$OutRoot = Join-Path $Root 'out'
$ModuleOut = Join-Path $OutRoot 'BedrockImport'
$ResultsDir = Join-Path $OutRoot 'TestResults'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'

function Invoke-Native {
    param([string] $FilePath, [string[]] $Arguments, [string] $What)
    & $FilePath @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) {
        throw "$What failed (exit code $LASTEXITCODE)."
    }
}

# A fresh pwsh of the same version as this one (works for the dotnet tool, which ships pwsh.dll).
function Get-PwshCommand {
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path $dll) { return @('dotnet', $dll) }
    return @((Join-Path $PSHOME 'pwsh'))
}

# The manifest with the version typed once, as ModuleVersion in Directory.Build.props (which also versions the assemblies).
function Write-ModuleManifest {
    param([Parameter(Mandatory)] [string] $Destination)
    $project = Join-Path $Root 'src/BedrockImport/BedrockImport.csproj'
    $version = (& dotnet msbuild $project -nologo -getProperty:ModuleVersion | Out-String).Trim()
    if ($LASTEXITCODE -ne 0 -or -not ($version -as [version])) {
        throw "ModuleVersion in Directory.Build.props must be a plain version such as 1.2.3 (read '$version')."
    }
    $pattern = "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'"
    $manifest = Get-Content (Join-Path $Root 'BedrockImport.psd1') -Raw
    if ([regex]::Matches($manifest, $pattern).Count -ne 1) { throw "BedrockImport.psd1 needs exactly one ModuleVersion line to stamp." }
    [System.IO.File]::WriteAllText($Destination, [regex]::Replace($manifest, $pattern, "`${1}'$version'"), [System.Text.UTF8Encoding]::new($false))
    Write-Host "Module version $version (from Directory.Build.props)"
}

function Get-ModuleVersionId {
    param([string] $Path)
    # The reader maps the file; it is disposed (and the file released) before the image is copied over it.
    $pe = [System.Reflection.PortableExecutable.PEReader]::new([System.IO.File]::OpenRead($Path))
    try {
        $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
        $metadata.GetGuid($metadata.GetModuleDefinition().Mvid)
    }
    finally { $pe.Dispose() }
}

# Replaces the IL of the assemblies the first cmdlet of a session runs through with ReadyToRun images of the same
# build (build/ReadyToRun says which and why), so that call does not wait for the JIT (issue 15, B5).
$ReadyToRunAssemblies = @('BedrockImport', 'BedrockImport.Engine', 'AWSSDK.Core')
# Passed to the project comma-separated, the commas escaped (%2C): -p: itself splits properties at a bare comma.

function Add-ReadyToRunImages {
    param([string] $PublishRoot, [string] $CoreFolder)
    $images = Join-Path $PublishRoot 'readytorun'
    Invoke-Native dotnet @('publish', (Join-Path $Root 'build/ReadyToRun/BedrockImport.ReadyToRun.csproj'), '-c', $Configuration,
        "-p:ModuleCoreFolder=$CoreFolder", "-p:StartupAssemblyNames=$($ReadyToRunAssemblies -join '%2C')", '-o', $images,
        '--nologo', '-v', 'quiet') 'dotnet publish (ReadyToRun images)'
    foreach ($name in $ReadyToRunAssemblies) {
        $il = @((Join-Path $CoreFolder "$name.dll"), (Join-Path $CoreFolder "dependencies/$name.dll")) | Where-Object { Test-Path $_ } | Select-Object -First 1
        $image = Join-Path $images "$name.dll"
        if (-not $il -or -not (Test-Path $image)) { throw "ReadyToRun: $name.dll is missing from core/ or from $images." }
        # An image compiled from another build of the assembly would run other code than the rest of core/.
        if ((Get-ModuleVersionId $il) -ne (Get-ModuleVersionId $image)) {
            throw "ReadyToRun: $image was not compiled from the $name.dll in core/ (module version ids differ)."
        }
        Copy-Item $image $il -Force
    }
}

function Invoke-Build {
    Write-Host "Building BedrockImport ($Configuration)"
    $publishRoot = Join-Path $OutRoot 'publish'
    Remove-Item $ModuleOut, $publishRoot -Recurse -Force -ErrorAction SilentlyContinue
    New-Item -ItemType Directory -Path $ModuleOut | Out-Null

    foreach ($edition in @(@{ Folder = 'core'; Framework = 'net8.0' }, @{ Folder = 'desktop'; Framework = 'netstandard2.0' })) {
        $publish = Join-Path $publishRoot $edition.Folder
        Invoke-Native dotnet @('publish', (Join-Path $Root 'src/BedrockImport/BedrockImport.csproj'), '-c', $Configuration,
            '-f', $edition.Framework, '-o', $publish, '--nologo', '-v', 'quiet') "dotnet publish ($($edition.Framework))"

        # Only the cmdlet assembly sits in the edition folder; everything it depends on goes to dependencies/,
        # where PowerShell's default probing cannot find it (see ModuleInitializer).
        $editionOut = Join-Path $ModuleOut $edition.Folder
        $dependencies = Join-Path $editionOut 'dependencies'
        New-Item -ItemType Directory -Path $dependencies -Force | Out-Null
        Copy-Item (Join-Path $publish 'BedrockImport.dll') $editionOut
        Get-ChildItem $publish -Filter *.dll |
            Where-Object { $_.Name -notin 'BedrockImport.dll', 'System.Management.Automation.dll' } |
            Copy-Item -Destination $dependencies
    }

    Add-ReadyToRunImages -PublishRoot $publishRoot -CoreFolder (Join-Path $ModuleOut 'core')

    Write-ModuleManifest -Destination (Join-Path $ModuleOut 'BedrockImport.psd1')
    Copy-Item (Join-Path $Root 'src/BedrockImport/BedrockImport.format.ps1xml') $ModuleOut
    Copy-Item (Join-Path $Root 'src/BedrockImport/Pricing') $ModuleOut -Recurse
    Copy-Item (Join-Path $Root 'LICENSE') $ModuleOut

    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/BedrockImport.LocalEndpoint/BedrockImport.LocalEndpoint.csproj'),
        '-c', $Configuration, '-o', (Join-Path $ModuleOut 'endpoint'), '--nologo', '-v', 'quiet') 'dotnet publish (local endpoint)'

    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoLogo -NoProfile -NonInteractive -File (Join-Path $Root 'build/New-ModuleHelp.ps1') `
        -ModulePath (Join-Path $ModuleOut 'BedrockImport.psd1') -HelpSource (Join-Path $Root 'help') `
        -OutputFile (Join-Path $ModuleOut 'en-US/BedrockImport.dll-Help.xml')
    if ($LASTEXITCODE -ne 0) { throw 'Writing the help failed.' }
    Copy-Item (Join-Path $Root 'help/about_*.help.txt') (Join-Path $ModuleOut 'en-US')
    Write-Host "Module laid out in $ModuleOut"
}

function Get-TrxCounts {
    param([string] $Folder)
    $passed = 0; $failed = 0
    foreach ($file in Get-ChildItem $Folder -Filter *.trx -Recurse -ErrorAction SilentlyContinue) {
        [xml] $trx = Get-Content -LiteralPath $file.FullName -Raw
        $counters = $trx.TestRun.ResultSummary.Counters
        $passed += [int] $counters.passed
        $failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

# Some tests need a program from Debian: the report tests open HTML pages in headless Chromium, the chat tests type
# into a real terminal under tmux. On Debian or Ubuntu, a missing program's package is installed (as root, or through
# sudo -n). When it cannot be, the reason is printed and handed to the Pester run in the environment variable named by
# -ProblemVariable, so the tests that need the program fail with it instead of being skipped.
function Install-TestProgram {
    param([string] $Command, [string] $Package, [string] $Purpose, [string] $ProblemVariable)
    Remove-Item "env:$ProblemVariable" -ErrorAction SilentlyContinue
    if (Get-Command $Command -CommandType Application -ErrorAction SilentlyContinue) { return }
    $problem = $null
    if (-not $IsLinux -or -not (Get-Command apt-get -CommandType Application -ErrorAction SilentlyContinue)) {
        $problem = "'$Command' is not on PATH and there is no apt-get to install it; install $Package so that '$Command' is on PATH."
    }
    else {
        $sudo = @()
        if ((& id -u) -ne '0') {
            if (Get-Command sudo -CommandType Application -ErrorAction SilentlyContinue) { $sudo = @('sudo', '-n') }
            else { $problem = "'$Command' is not on PATH, and installing it needs root or sudo (neither is available)." }
        }
        if (-not $problem) {
            Write-Host "Installing Debian's $Package for $Purpose (apt-get)"
            $aptGet = $sudo + @('env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-q')
            foreach ($step in @(@('update'), @('install', '-y', '--no-install-recommends', $Package))) {
                & $aptGet[0] @($aptGet | Select-Object -Skip 1) @step | Out-Host
                if ($LASTEXITCODE -ne 0) {
                    $problem = "'$($aptGet -join ' ') $($step -join ' ')' failed (exit code $LASTEXITCODE); see the output above."
                    break
                }
            }
            if (-not $problem -and -not (Get-Command $Command -CommandType Application -ErrorAction SilentlyContinue)) {
                $problem = "apt-get installed the $Package package, but '$Command' is still not on PATH."
            }
        }
    }
    if ($problem) {
        Write-Host "$Package is not available: $problem"
        Set-Item "env:$ProblemVariable" $problem
    }
}

function Invoke-Test {
    Invoke-Build
    Remove-Item $ResultsDir -Recurse -Force -ErrorAction SilentlyContinue
    New-Item -ItemType Directory -Path $ResultsDir | Out-Null
    $failures = @()

    Write-Host 'Running xunit tests'
    & dotnet test (Join-Path $Root 'BedrockImport.sln') -c $Configuration --nologo --logger 'trx' --results-directory (Join-Path $ResultsDir 'xunit') -- 'RunConfiguration.TreatNoTestsAsError=false'
    if ($LASTEXITCODE -ne 0) { $failures += 'xunit' }
    $xunit = Get-TrxCounts (Join-Path $ResultsDir 'xunit')
    Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed"

    Write-Host 'Installing the test tools (Pester and AWSSDK.Core versions from NuGet, the JS SDK and s3rver from npm)'
    Invoke-Native dotnet @('restore', (Join-Path $Root 'build/tools.csproj'), '--nologo', '-v', 'quiet') 'Test tools download'
    Push-Location (Join-Path $Root 'tests/conformance')
    try { Invoke-Native npm @('ci', '--no-audit', '--no-fund', '--loglevel=error') 'npm ci (tests/conformance)' }
    finally { Pop-Location }

    Install-TestProgram -Command chromium -Package chromium -Purpose 'the report tests' -ProblemVariable BEDROCKIMPORT_CHROMIUM_PROBLEM
    Install-TestProgram -Command tmux -Package tmux -Purpose 'the terminal tests of the chat' -ProblemVariable BEDROCKIMPORT_TMUX_PROBLEM

    Write-Host 'Running Pester tests against the built module'
    $pesterSummary = Join-Path $ResultsDir 'pester-summary.json'
    $pwsh = Get-PwshCommand
    $pesterArgs = @('-NoLogo', '-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/Invoke-PesterTests.ps1'),
        '-ModulePath', (Join-Path $ModuleOut 'BedrockImport.psd1'), '-ResultsPath', $ResultsDir, '-SummaryPath', $pesterSummary)
    if ($Full) { $pesterArgs += '-Full' }
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) @pesterArgs
    if ($LASTEXITCODE -ne 0) { $failures += 'Pester' }
    $pester = if (Test-Path $pesterSummary) { Get-Content $pesterSummary -Raw | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1 } }
    Write-Host "Pester: $($pester.Passed) passed, $($pester.Failed) failed"

    $conformance = Invoke-ConformanceTests
    if ($conformance.Failed -gt 0) { $failures += 'conformance' }

    $passed = $xunit.Passed + $pester.Passed + $conformance.Passed
    $failed = $xunit.Failed + $pester.Failed + $conformance.Failed
    if ($failures -and $failed -eq 0) {
        # A runner failed without reporting a failed test (a crash, a build error): count it, never hide it.
        $failed = $failures.Count
    }
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-ConformanceTests {
    $suite = Join-Path $Root 'tests/conformance'
    if (-not (Test-Path (Join-Path $suite 'package.json'))) {
        return [pscustomobject]@{ Passed = 0; Failed = 0 }
    }
    Write-Host 'Running the AWS SDK for JavaScript conformance suite'
    Push-Location $suite
    try {
        $env:BEDROCKIMPORT_ENDPOINT_DLL = Join-Path $ModuleOut 'endpoint/BedrockImport.LocalEndpoint.dll'
        $output = & node --test --test-reporter=tap 2>&1
        $exit = $LASTEXITCODE
        $output | ForEach-Object { Write-Host $_ }
    }
    finally {
        Pop-Location
    }
    $pass = ($output | Select-String '^# pass (\d+)' | Select-Object -Last 1).Matches.Groups[1].Value
    $fail = ($output | Select-String '^# fail (\d+)' | Select-Object -Last 1).Matches.Groups[1].Value
    $result = [pscustomobject]@{ Passed = [int] $pass; Failed = [int] $fail }
    if ($exit -ne 0 -and $result.Failed -eq 0) { $result.Failed = 1 }
    Write-Host "conformance: $($result.Passed) passed, $($result.Failed) failed"
    $result
}

function Invoke-Demo {
    Invoke-Build
    $demo = Join-Path $Root 'build/Demo.ps1'
    if (-not (Test-Path $demo)) {
        Write-Host 'The demo is not built yet: it needs the import pipeline (Test/Copy/Start/Wait-BedrockImportJob, issue 4).'
        Write-Host 'What works today: Get-BedrockImportJob and Get-ImportedModel against any Bedrock endpoint.'
        return
    }
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoLogo -NoProfile -File $demo -ModulePath (Join-Path $ModuleOut 'BedrockImport.psd1')
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Bench {
    Invoke-Build
    $bench = Join-Path $Root 'bench/Invoke-Benchmarks.ps1'
    if (-not (Test-Path $bench)) {
        Write-Host 'The benchmarks are not built yet (issue 6): B1-B6 need the invoke and upload cmdlets.'
        return
    }
    $pwsh = Get-PwshCommand
    $benchArgs = @('-NoLogo', '-NoProfile', '-File', $bench, '-ModulePath', (Join-Path $ModuleOut 'BedrockImport.psd1'))
    if ($Full) { $benchArgs += '-Full' }
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) @benchArgs
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Package {
    Invoke-Build
    $pwsh = Get-PwshCommand
    $package = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoLogo -NoProfile -NonInteractive -File (Join-Path $Root 'build/New-ModulePackage.ps1') `
        -ModulePath (Join-Path $ModuleOut 'BedrockImport.psd1') -OutputPath $OutRoot
    if ($LASTEXITCODE -ne 0) { throw 'Packing the module failed.' }
    Write-Host "Package written to $package"
}

function Invoke-Clean {
    Remove-Item $OutRoot -Recurse -Force -ErrorAction SilentlyContinue
    Get-ChildItem $Root -Include bin, obj -Recurse -Directory | Remove-Item -Recurse -Force
}

# AFL++ for the Fuzz task: on Debian or Ubuntu, Debian's afl++ package is installed when 'afl-fuzz' is missing (as root,
# or through sudo -n), as Install-TestChromium does for chromium. Anything else stops the task with the reason.
function Install-Fuzzer {
    Install-TestProgram -Command afl-fuzz -Package afl++ -Purpose 'the fuzz targets' -ProblemVariable BEDROCKIMPORT_AFL_PROBLEM
    if ($env:BEDROCKIMPORT_AFL_PROBLEM) { throw "AFL++ is needed to fuzz: $env:BEDROCKIMPORT_AFL_PROBLEM" }
}

# CPU seconds of a process from /proc (utime + stime), or $null once it is gone.
function Get-ProcCpuSeconds {
    param([int] $ProcessId)
    $stat = Get-Content -LiteralPath "/proc/$ProcessId/stat" -Raw -ErrorAction SilentlyContinue
    if (-not $stat) { return $null }
    # Fields after the ')' that closes the command name: state is field 3, utime 14, stime 15.
    $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
    return ([double] $fields[11] + [double] $fields[12]) / 100
}

# The ids of a process's children (the fuzzed dotnet process is afl-fuzz's child; afl-fuzz does not reap it, so its CPU
# never reaches afl-fuzz's rusage and is sampled here instead).
function Get-ChildProcessIds {
    param([int] $ParentId)
    foreach ($stat in Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue | Where-Object Name -Match '^\d+$') {
        $text = Get-Content -LiteralPath (Join-Path $stat.FullName 'stat') -Raw -ErrorAction SilentlyContinue
        if (-not $text) { continue }
        $fields = $text.Substring($text.LastIndexOf(')') + 2).Split(' ')
        if ([int] $fields[1] -eq $ParentId) { [int] $stat.Name }
    }
}

function Read-FuzzerStats {
    param([string] $Path)
    $stats = @{}
    if (Test-Path $Path) {
        foreach ($line in Get-Content -LiteralPath $Path) {
            $key, $value = $line -split '\s*:\s*', 2
            if ($key) { $stats[$key.Trim()] = $value.Trim() }
        }
    }
    $stats
}

# Start-Process joins its arguments with spaces: quote the ones that hold a space (a checkout path with spaces).
function ConvertTo-ArgumentList {
    $args | ForEach-Object { if ("$_" -match '\s') { '"' + $_ + '"' } else { "$_" } }
}

# Runs a file through the uninstrumented build; 'finding' when it throws an unexpected exception or runs past the limit.
function Invoke-FuzzReplay {
    param([string] $Dll, [string] $Name, [string] $File, [int] $TimeoutSeconds)
    $log = [System.IO.Path]::GetTempFileName()
    $process = Start-Process dotnet -ArgumentList (ConvertTo-ArgumentList $Dll 'run' $Name $File) -NoNewWindow -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err"
    $null = $process.Handle   # without it, ExitCode stays empty after the process ends
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill($true)
        $process.WaitForExit()
        Remove-Item $log, "$log.err" -ErrorAction SilentlyContinue
        return "hangs    $File (over $TimeoutSeconds s with the plain build)"
    }
    $out = Get-Content -LiteralPath $log -Raw
    Remove-Item $log, "$log.err" -ErrorAction SilentlyContinue
    if ($process.ExitCode -eq 0) { return $null }
    $first = ($out -split "`n" | Where-Object { $_ -like 'FINDING *' } | Select-Object -First 1)
    if (-not $first) { $first = "FINDING $File (exit code $($process.ExitCode))" }
    return $first.Trim()
}

function Invoke-Fuzz {
    if (-not $IsLinux) { throw 'The Fuzz task needs Linux (AFL++ and SharpFuzz).' }
    Install-Fuzzer
    $fuzzOut = Join-Path $OutRoot 'fuzz'
    $plain = Join-Path $fuzzOut 'plain'
    $instrumented = Join-Path $fuzzOut 'bin'
    Remove-Item $plain, $instrumented -Recurse -Force -ErrorAction SilentlyContinue
    Invoke-Native dotnet @('publish', (Join-Path $Root 'fuzz/BedrockImport.Fuzz'), '-c', 'Release', '-o', $plain, '--nologo', '-v', 'quiet') 'Fuzz harness publish'
    Copy-Item $plain $instrumented -Recurse
    Invoke-Native dotnet @('tool', 'restore') 'dotnet tool restore'
    # The project's parsers, plus the AWS SDK's, whose XML unmarshalling is what the s3-error target exercises.
    foreach ($assembly in 'BedrockImport.Engine', 'BedrockImport.Inference', 'BedrockImport.LocalEndpoint', 'AWSSDK.Core', 'AWSSDK.S3') {
        Invoke-Native dotnet @('sharpfuzz', (Join-Path $instrumented "$assembly.dll")) "sharpfuzz $assembly"
    }
    $plainDll = Join-Path $plain 'BedrockImport.Fuzz.dll'
    $targets = @(& dotnet $plainDll list | ForEach-Object { ($_ -split "`t")[0] })
    if ($Target) {
        if ($targets -notcontains $Target) { throw "Unknown fuzz target '$Target'; targets: $($targets -join ', ')." }
        $targets = @($Target)
    }

    $env:AFL_SKIP_BIN_CHECK = '1'            # the target is 'dotnet', not an AFL-compiled binary
    $env:AFL_NO_AFFINITY = '1'
    $env:AFL_SKIP_CPUFREQ = '1'
    $env:AFL_NO_UI = '1'
    $env:AFL_FORKSRV_INIT_TMOUT = '30000'    # the runtime starts in seconds, not milliseconds
    $env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
    $env:DOTNET_GCHeapHardLimit = '40000000' # 1 GiB (hex): an allocation bomb is an OutOfMemoryException, not a dead machine
    $seconds = [math]::Max(10, [int] ($Minutes * 60))
    $rows = @()
    $findings = @()
    foreach ($name in $targets) {
        $aflOut = Join-Path $fuzzOut "afl/$name"
        Remove-Item $aflOut -Recurse -Force -ErrorAction SilentlyContinue
        New-Item -ItemType Directory -Path (Split-Path $aflOut) -Force | Out-Null
        $log = Join-Path $fuzzOut "afl-$name.log"
        Write-Host "Fuzzing $name for $seconds s (log: $log)"
        $aflArgs = @('-V', $seconds, '-t', '3000', '-m', 'none', '-i', (Join-Path $Root "fuzz/corpora/$name"), '-o', $aflOut,
            '--', 'dotnet', (Join-Path $instrumented 'BedrockImport.Fuzz.dll'), 'afl', $name)
        $afl = Start-Process afl-fuzz -ArgumentList (ConvertTo-ArgumentList @aflArgs) -NoNewWindow -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err"
        $null = $afl.Handle
        $cpu = @{}
        while (-not $afl.WaitForExit(2000)) {
            foreach ($id in @($afl.Id) + @(Get-ChildProcessIds $afl.Id)) {
                $seen = Get-ProcCpuSeconds $id
                if ($null -ne $seen) { $cpu["$id"] = $seen }
            }
        }
        $stats = Read-FuzzerStats (Join-Path $aflOut 'default/fuzzer_stats')
        if ($afl.ExitCode -ne 0 -or -not $stats.ContainsKey('execs_done')) {
            Get-Content -LiteralPath $log -Tail 15 | Out-Host
            $findings += "$name`: afl-fuzz stopped with exit code $($afl.ExitCode) before fuzzing (see $log)"
        }
        $inputs = @('crashes', 'hangs' | ForEach-Object { Get-ChildItem (Join-Path $aflOut "default/$_") -Filter 'id*' -File -ErrorAction SilentlyContinue })
        # Earlier findings (fixed, with a regression test) must stay fixed.
        $known = @(Get-ChildItem (Join-Path $Root "fuzz/findings/$name") -File -ErrorAction SilentlyContinue)
        $reproduced = 0
        foreach ($file in $inputs + $known) {
            $finding = Invoke-FuzzReplay $plainDll $name $file.FullName 30
            if ($finding) { $reproduced++; $findings += "$name`: $finding" }
        }
        $rows += [pscustomobject]@{
            Target     = $name
            Execs      = [long] ($stats['execs_done'] ?? 0)
            CpuMinutes = [math]::Round((($cpu.Values | Measure-Object -Sum).Sum) / 60, 2)
            Crashes    = [int] ($stats['saved_crashes'] ?? $stats['unique_crashes'] ?? 0)
            Hangs      = [int] ($stats['saved_hangs'] ?? $stats['unique_hangs'] ?? 0)
            Reproduced = $reproduced
        }
    }
    $rows | Format-Table -AutoSize | Out-Host
    Write-Host 'Reproduced: crash and hang files (new, and the earlier ones in fuzz/findings) that still fail with the uninstrumented build.'
    if ($findings) {
        $findings | ForEach-Object { Write-Host "  $_" }
        throw "$($findings.Count) fuzz finding(s) reproduce; the inputs are in out/fuzz/afl/TARGET/default/{crashes,hangs} and fuzz/findings."
    }
}

Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Demo' { Invoke-Demo }
        'Bench' { Invoke-Bench }
        'Package' { Invoke-Package }
        'Clean' { Invoke-Clean }
        'Fuzz' { Invoke-Fuzz }
    }
}
finally {
    Pop-Location
}
