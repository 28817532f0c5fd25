# The Gallery package, installed as a user installs it: build/New-ModulePackage.ps1 packs the built module, a fresh
# pwsh with its own empty HOME registers the package's folder as a repository, installs BedrockImport from it, imports
# it by name and runs one pipeline against the local endpoint. PSResourceGet ships with PowerShell 7.4+ and works
# offline against a folder.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:work = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $work 'endpoint')
    Set-TestKnobs $endpoint
    $script:manifest = Test-ModuleManifest $env:BEDROCKIMPORT_MODULE
    $script:pwshDll = Join-Path $PSHOME 'pwsh.dll'
    $script:repository = Join-Path $work 'repository'
    $packer = Join-Path $PSScriptRoot '../../build/New-ModulePackage.ps1'
    $script:packOutput = & dotnet $pwshDll -NoLogo -NoProfile -NonInteractive -File $packer -ModulePath $env:BEDROCKIMPORT_MODULE -OutputPath $repository 2>&1 | Out-String
    $script:packExit = $LASTEXITCODE
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'build.ps1 Package' -Tag 'CI' {
    It 'writes BedrockImport.{version}.nupkg with the manifest the Gallery reads' {
        $packExit | Should -Be 0 -Because $packOutput
        $package = Join-Path $repository "BedrockImport.$($manifest.Version.ToString()).nupkg"
        Test-Path $package | Should -BeTrue -Because $packOutput

        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($package)
        try {
            $names = @($zip.Entries.FullName)
            $names | Should -Contain 'BedrockImport.psd1'
            $names | Should -Contain 'LICENSE'
            $names | Should -Contain 'BedrockImport.nuspec'
            $reader = [IO.StreamReader]::new($zip.GetEntry('BedrockImport.nuspec').Open())
            [xml] $nuspec = $reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $metadata = $nuspec.package.metadata
        $metadata.id | Should -Be 'BedrockImport'
        $metadata.version | Should -Be $manifest.Version.ToString()
        $metadata.projectUrl | Should -Be $manifest.PrivateData.PSData.ProjectUri
        $metadata.tags | Should -Match 'Bedrock'
    }

    It 'refuses a manifest the Gallery would reject, naming what is missing' {
        $broken = Join-Path $work 'broken/BedrockImport'
        Copy-Item (Split-Path $env:BEDROCKIMPORT_MODULE -Parent) $broken -Recurse
        Remove-Item (Join-Path $broken 'LICENSE')
        $output = & dotnet $pwshDll -NoLogo -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot '../../build/New-ModulePackage.ps1') `
            -ModulePath (Join-Path $broken 'BedrockImport.psd1') -OutputPath (Join-Path $work 'broken-out') 2>&1 | Out-String
        $LASTEXITCODE | Should -Not -Be 0
        $output | Should -Match 'no LICENSE file'
        Test-Path (Join-Path $work 'broken-out/*.nupkg') | Should -BeFalse
    }

    It 'installs with Install-PSResource in a fresh pwsh, imports by name, lists every cmdlet and runs a pipeline' {
        $packExit | Should -Be 0 -Because $packOutput
        $userHome = Join-Path $work 'home'
        New-Item -ItemType Directory $userHome | Out-Null
        $connection = "-EndpointUrl '$($endpoint.EndpointUrl)' -Region '$($endpoint.Region)' -AccessKey '$($endpoint.AccessKey)' -SecretKey '$($endpoint.SecretKey)'"
        $script = @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Register-PSResourceRepository -Name BedrockImportLocal -Uri '$repository' -Trusted
Install-PSResource BedrockImport -Repository BedrockImportLocal -Scope CurrentUser -TrustRepository -Quiet
Import-Module BedrockImport
`$module = Get-Module BedrockImport
`$commands = @(Get-Command -Module BedrockImport | ForEach-Object Name)
`$sample = Join-Path '$work' 'installed-sample'
`$answer = New-BedrockSampleModel -Path `$sample |
    Copy-BedrockModelSource -Destination 's3://installed/sample/' -CreateBucket $connection |
    Start-BedrockModelImport -ModelName installed-sample -RoleArn 'arn:aws:iam::123456789012:role/BedrockImportTest' $connection |
    Wait-BedrockImportJob $connection |
    Invoke-ImportedModel -Prompt 'hello from an installed module' -MaxTokens 4 $connection
'RESULT:' + ([pscustomobject]@{
    ModuleBase = `$module.ModuleBase; Version = `$module.Version.ToString(); Commands = `$commands
    Completion = `$answer.Completion; OutputTokens = `$answer.OutputTokens
} | ConvertTo-Json -Compress)
"@
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
        $saved = @{}
        foreach ($name in 'HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'PSModulePath') { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
        try {
            $env:HOME = $userHome
            $env:XDG_DATA_HOME = Join-Path $userHome '.local/share'
            $env:XDG_CONFIG_HOME = Join-Path $userHome '.config'
            $env:XDG_CACHE_HOME = Join-Path $userHome '.cache'
            # .NET answers "" for a special folder that does not exist, and PSResourceGet would then write its
            # repository list relative to the working directory.
            foreach ($folder in $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME, $env:XDG_CACHE_HOME) { New-Item -ItemType Directory $folder -Force | Out-Null }
            # Only the installation's own module folders: the built module's folder must not be found by name.
            $env:PSModulePath = Join-Path $PSHOME 'Modules'
            $output = & dotnet $pwshDll -NoLogo -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | Out-String
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
        $LASTEXITCODE | Should -Be 0 -Because $output
        $line = ($output -split "`n") | Where-Object { $_.StartsWith('RESULT:') } | Select-Object -Last 1
        $line | Should -Not -BeNullOrEmpty -Because $output
        $result = $line.Substring('RESULT:'.Length) | ConvertFrom-Json

        [IO.Path]::GetFullPath($result.ModuleBase) | Should -BeLike "$([IO.Path]::GetFullPath($userHome))*"
        $result.Version | Should -Be $manifest.Version.ToString()
        @($result.Commands | Sort-Object) | Should -Be @($manifest.ExportedCmdlets.Keys | Sort-Object)
        $result.Completion | Should -Not -BeNullOrEmpty
        $result.OutputTokens | Should -BeGreaterThan 0
        Test-Path (Join-Path $userHome '.local/share/PSResourceGet/PSResourceRepository.xml') | Should -BeTrue -Because 'the repository list belongs in the fresh HOME'
    }
}
