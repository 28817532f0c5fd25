# R6: another AWSSDK.Core loaded first (as AWS.Tools or a script's Add-Type would) does not break the module.
# The packages come from the PackageDownload in build/tools.csproj, restored by build.ps1 Test.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:work = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $work 'endpoint')
    Set-TestKnobs $endpoint
    $script:nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $script:folder = Join-Path $work 'sample'
    New-BedrockSampleModel -Path $folder -ShardCount 2 -SizeBytes 12MB | Out-Null
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'R6: coexistence with another AWSSDK.Core' -Tag 'Reliability' {
    It 'works with AWSSDK.Core <Version> loaded first' -ForEach @(
        @{ Version = '3.7.402'; Name = 'v3' }
        @{ Version = '4.0.3.3'; Name = 'v4' }
    ) {
        $package = Join-Path $nugetRoot "awssdk.core/$Version/lib"
        $dll = @('net8.0', 'netcoreapp3.1', 'netstandard2.0') | ForEach-Object { Join-Path $package "$_/AWSSDK.Core.dll" } | Where-Object { Test-Path $_ } | Select-Object -First 1
        $dll | Should -Not -BeNullOrEmpty -Because "AWSSDK.Core $Version must be in the NuGet cache (dotnet restore build/tools.csproj downloads it)"

        $connection = "-EndpointUrl '$($endpoint.EndpointUrl)' -Region '$($endpoint.Region)' -AccessKey '$($endpoint.AccessKey)' -SecretKey '$($endpoint.SecretKey)'"
        $script = @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$dll'
`$theirs = [Amazon.Runtime.BasicAWSCredentials]::new('AKIATHEIRS', 'their-secret')
Import-Module '$($env:BEDROCKIMPORT_MODULE)'
`$copy = Copy-BedrockModelSource '$folder' 's3://coexist/$Name/' -CreateBucket $connection
`$job = `$copy | Start-BedrockModelImport -ModelName coexist-$Name -RoleArn 'arn:aws:iam::123456789012:role/BedrockImportTest' $connection
`$model = `$job | Wait-BedrockImportJob $connection
`$listed = Get-ImportedModel coexist-$Name $connection
`$answer = Invoke-ImportedModel `$model.ModelArn -Prompt 'hello from a shared process' -MaxTokens 4 $connection
`$streamed = Invoke-ImportedModel `$model.ModelArn -Prompt 'hello again' -MaxTokens 4 -Stream $connection 6>`$null
`$cores = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'AWSSDK.Core' } | ForEach-Object {
    [pscustomobject]@{ Version = `$_.GetName().Version.ToString(); Context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name; Location = `$_.Location }
}
'RESULT:' + ([pscustomobject]@{
    Uploaded = `$copy.Uploaded; Bytes = `$copy.Bytes; ModelArn = `$model.ModelArn; Listed = `$listed.ModelArn
    Completion = `$answer.Completion; Streamed = `$streamed.Completion; TheirsStillWork = (`$theirs.GetCredentials().AccessKey -eq 'AKIATHEIRS')
    Cores = @(`$cores)
} | ConvertTo-Json -Depth 4 -Compress)
"@
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
        $output = & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
        $line = ($output -split "`n") | Where-Object { $_.StartsWith('RESULT:') } | Select-Object -Last 1
        $line | Should -Not -BeNullOrEmpty -Because $output
        $result = $line.Substring('RESULT:'.Length) | ConvertFrom-Json

        Write-Host ("R6: AWSSDK.Core {0} first: {1}" -f $Version, (($result.Cores | ForEach-Object { "$($_.Version) in '$($_.Context)'" }) -join ', '))
        $result.Uploaded | Should -Be $result.Bytes
        $result.ModelArn | Should -Match 'imported-model/'
        $result.Listed | Should -Be $result.ModelArn
        $result.Completion | Should -Not -BeNullOrEmpty
        $result.Streamed | Should -Not -BeNullOrEmpty
        $result.TheirsStillWork | Should -BeTrue
        $result.Cores | Should -HaveCount 2
        $theirs = @($result.Cores | Where-Object Location -eq $dll)
        $theirs | Should -HaveCount 1
        $theirs[0].Context | Should -Be 'Default'
        $ours = @($result.Cores | Where-Object Location -ne $dll)
        $ours | Should -HaveCount 1
        $ours[0].Context | Should -Be 'BedrockImport'
        $ours[0].Location | Should -BeLike "$(Split-Path $env:BEDROCKIMPORT_MODULE)*"
    }
}
