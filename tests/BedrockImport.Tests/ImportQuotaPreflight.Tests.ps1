# Start-BedrockModelImport's quota preflight: at the imported-models or concurrent-jobs limit the import stops with the
# figures and the fix before the service would refuse it, and -Queue waits for a job slot. An endpoint of its own: the
# increase requests of BedrockImportQuota.Tests.ps1 raise applied values that would outlive its knobs.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpointData = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath $endpointData
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'

    function Set-QuotaKnobs([hashtable] $ServiceQuotas, [hashtable] $Bedrock = @{}) { Set-TestKnobs $endpoint -ServiceQuotas $ServiceQuotas -Bedrock $Bedrock }

    function Send-Sample([string] $Name) { Send-TestSample $Name -Bucket quota-preflight -Folder $TestDrive }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    Remove-Item -LiteralPath $endpointData -Recurse -Force -ErrorAction SilentlyContinue
    $global:PSDefaultParameterValues = @{}
}

Describe 'Start-BedrockModelImport stops at a quota before the service refuses' -Tag 'CI' {
    It 'stops at the imported-model quota with the figures and the fix, and -SkipPreflight lets the service refuse' {
        $uri = Send-Sample 'quota-models'
        Start-BedrockModelImport -ModelName quota-present -S3Uri $uri -RoleArn $role | Wait-BedrockImportJob -ErrorAction Stop | Out-Null
        $existing = @(Get-ImportedModel).Count
        Set-QuotaKnobs @{ importedModels = @{ defaultValue = 3; appliedValue = $existing } }
        Reset-TestStats $endpoint
        $errors = $null
        Start-BedrockModelImport -ModelName quota-over -S3Uri $uri -RoleArn $role -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ImportedModelQuotaReached,BedrockImport.Cmdlets.StartBedrockModelImportCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'QuotaExceeded'
        $errors[0].Exception.Message | Should -Match "has $existing imported models in us-east-1, as many as its quota 'Imported models per account' allows \($existing\)"
        $errors[0].Exception.Message | Should -Match "Request-BedrockImportQuotaIncrease -Quota ImportedModels -DesiredValue $($existing + 1)"
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be 0

        $errors = $null
        Start-BedrockModelImport -ModelName quota-over -S3Uri $uri -RoleArn $role -SkipPreflight -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ServiceQuotaExceededException,BedrockImport.Cmdlets.StartBedrockModelImportCommand'
    }

    It 'stops when every job slot is taken, naming the running job; -Queue waits for it and then starts' {
        Set-QuotaKnobs @{ concurrentImportJobs = @{ defaultValue = 1; appliedValue = 1 } } -Bedrock @{ importDurationMs = 2500 }
        $uri = Send-Sample 'quota-queue'
        $first = Start-BedrockModelImport -ModelName queue-first -S3Uri $uri -RoleArn $role
        $errors = $null
        Start-BedrockModelImport -ModelName queue-second -S3Uri $uri -RoleArn $role -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ConcurrentImportJobQuotaReached,BedrockImport.Cmdlets.StartBedrockModelImportCommand'
        $errors[0].Exception.Message | Should -Match ([regex]::Escape("($($first.JobName))"))
        $errors[0].Exception.Message | Should -Match '-Queue'

        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $env:BEDROCKIMPORT_MODULE).Invoke()
            $ps.Commands.Clear()
            $connection = @{ EndpointUrl = $endpoint.EndpointUrl; Region = $endpoint.Region; AccessKey = $endpoint.AccessKey; SecretKey = $endpoint.SecretKey }
            $second = $ps.AddCommand('Start-BedrockModelImport').AddParameters(@{ ModelName = 'queue-second'; S3Uri = $uri; RoleArn = $role; Queue = $true; QueuePollIntervalSec = 1 } + $connection).Invoke()
            $progress = @($ps.Streams.Progress | Where-Object Activity -like 'Waiting for a free model import job slot*')
            $ps.Streams.Error | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
        $done = Get-BedrockImportJob $first.JobArn
        $done.Status | Should -Be 'Completed'
        $second[0].CreationTime | Should -BeGreaterOrEqual $done.EndTime -Because 'the second job started only after the first one completed'
        ($progress | Where-Object RecordType -ne 'Completed')[0].StatusDescription | Should -Match "1 job\(s\) in progress \($([regex]::Escape($first.JobName))\), quota 1"
        ($second[0] | Wait-BedrockImportJob -ErrorAction Stop).ModelName | Should -Be 'queue-second'
    }
}
