# The Custom Model Import quotas as a user meets them: Get-BedrockImportQuota's figures follow imports and deletes, an
# increase request is recorded and moves, -WhatIf sends nothing, and the endpoint refuses a job beyond the quota.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    # Pester empties $TestDrive of what each Describe added, so the endpoint's buckets live in a folder of their own.
    $script:endpointData = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath $endpointData
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'

    function Set-QuotaKnobs([hashtable] $ServiceQuotas, [hashtable] $Bedrock = @{}) { Set-TestKnobs $endpoint -ServiceQuotas $ServiceQuotas -Bedrock $Bedrock }

    function Get-Quota([string] $Kind) { Get-BedrockImportQuota | Where-Object { "$($_.Kind)" -eq $Kind } }

    function Send-Sample([string] $Name) { Send-TestSample $Name -Bucket quotas -Folder $TestDrive }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    Remove-Item -LiteralPath $endpointData -Recurse -Force -ErrorAction SilentlyContinue
    $global:PSDefaultParameterValues = @{}
}

Describe 'Get-BedrockImportQuota' -Tag 'CI' {
    It 'gives both quotas by name, and the usage follows imports and deletes' {
        Set-QuotaKnobs @{ importedModels = @{ defaultValue = 3; appliedValue = 4 }; concurrentImportJobs = @{ defaultValue = 1; appliedValue = 2 } }
        $before = Get-BedrockImportQuota
        @($before).Count | Should -Be 2
        $models = $before | Where-Object { "$($_.Kind)" -eq 'ImportedModels' }
        $models.Name | Should -Be 'Imported models per account'
        $models.QuotaCode | Should -Match '^L-'
        $models.AppliedValue | Should -Be 4
        $models.DefaultValue | Should -Be 3
        $models.Value | Should -Be 4
        $models.Adjustable | Should -BeTrue
        $models.Region | Should -Be $endpoint.Region
        $baseUsage = $models.Usage
        $models.Remaining | Should -Be (4 - $baseUsage)

        $imported = Import-TestSample -Name 'quota-one' -Bucket quotas -Folder $TestDrive -RoleArn $role
        (Get-Quota ImportedModels).Usage | Should -Be ($baseUsage + 1)
        (Get-Quota ImportedModels).Remaining | Should -Be (3 - $baseUsage)

        Remove-ImportedModel $imported.ModelArn -Force
        (Get-Quota ImportedModels).Usage | Should -Be $baseUsage
    }

    It 'counts running import jobs against the concurrent-jobs quota' {
        Set-QuotaKnobs @{ concurrentImportJobs = @{ defaultValue = 1; appliedValue = 3 } } -Bedrock @{ importDurationMs = 2500 }
        $job = Start-BedrockModelImport -ModelName quota-running -S3Uri (Send-Sample 'quota-running') -RoleArn $role
        $jobs = Get-Quota ConcurrentImportJobs
        $jobs.Usage | Should -Be 1
        $jobs.Remaining | Should -Be 2
        $job | Wait-BedrockImportJob -ErrorAction Stop | Out-Null
        (Get-Quota ConcurrentImportJobs).Usage | Should -Be 0
    }

    It 'falls back to the AWS default when no value is applied' {
        Set-QuotaKnobs @{ concurrentImportJobs = @{ defaultValue = 1; appliedValue = $null } }
        $jobs = Get-Quota ConcurrentImportJobs
        $jobs.AppliedValue | Should -BeNullOrEmpty
        $jobs.Value | Should -Be 1
        $jobs.DefaultValue | Should -Be 1
    }

    It 'shows a table with the figures' {
        $table = Get-BedrockImportQuota | Format-Table | Out-String -Width 200
        $table | Should -Match 'Kind\s+Value\s+Applied\s+Default\s+Usage\s+Remaining\s+Adjustable'
        $table | Should -Match 'ImportedModels'
        $table | Should -Match 'ConcurrentImportJobs'
    }
}

Describe 'Request-BedrockImportQuotaIncrease' -Tag 'CI' {
    It 'records a request, lists it with -History, and its status moves until the applied value is raised' {
        # Each status lasts 4 s: a loaded CI machine once took longer than a 1.5 s step between two polls.
        Set-QuotaKnobs @{ importedModels = @{ defaultValue = 3; appliedValue = 5 }; requestStepMs = 4000 }
        $request = Request-BedrockImportQuotaIncrease -Quota ImportedModels -DesiredValue 12 -Confirm:$false
        $request.Status | Should -Be 'PENDING'
        $request.DesiredValue | Should -Be 12
        "$($request.Kind)" | Should -Be 'ImportedModels'

        $history = @(Get-BedrockImportQuota -History)
        $history.Count | Should -Be 1
        $history[0].Id | Should -Be $request.Id
        $history[0].Created | Should -Not -BeNullOrEmpty

        $script:seen = @{}
        Wait-TestCondition {
            $entry = Get-BedrockImportQuota -History | Where-Object Id -eq $request.Id
            $script:seen[$entry.Status] = $entry
            $entry.Status -eq 'APPROVED'
        } -TimeoutSeconds 30 | Should -BeTrue
        $script:seen.Keys | Should -Contain 'CASE_OPENED'
        $script:seen['CASE_OPENED'].CaseId | Should -Not -BeNullOrEmpty
        (Get-Quota ImportedModels).AppliedValue | Should -Be 12
        (Get-BedrockImportQuota -History | Format-Table | Out-String -Width 200) | Should -Match 'DesiredValue\s+Status\s+CaseId\s+Created'
    }

    It '-WhatIf sends nothing' {
        Set-QuotaKnobs @{}
        Reset-TestStats $endpoint
        $output = Request-BedrockImportQuotaIncrease -Quota ConcurrentImportJobs -DesiredValue 50 -WhatIf
        $output | Should -BeNullOrEmpty
        $calls = Get-TestCallCounts $endpoint
        @($calls.Keys | Where-Object { $_ -like 'servicequotas:*' -or $_ -like 'bedrock:*' }) | Should -BeNullOrEmpty
    }

    It 'refuses a quota that is not adjustable, without sending the request' {
        Set-QuotaKnobs @{ concurrentImportJobs = @{ defaultValue = 1; appliedValue = 1; adjustable = $false } }
        Reset-TestStats $endpoint
        $errors = $null
        $result = Request-BedrockImportQuotaIncrease -Quota ConcurrentImportJobs -DesiredValue 5 -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'QuotaNotAdjustable,BedrockImport.Cmdlets.RequestBedrockImportQuotaIncreaseCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $errors[0].Exception.Message | Should -Match "'Concurrent model import jobs' .* is not adjustable"
        Get-TestCallCount $endpoint 'servicequotas:RequestServiceQuotaIncrease' | Should -Be 0
    }

    It 'refuses a desired value that is not above the value in force' {
        Set-QuotaKnobs @{ concurrentImportJobs = @{ defaultValue = 1; appliedValue = 4 } }
        $errors = $null
        Request-BedrockImportQuotaIncrease -Quota ConcurrentImportJobs -DesiredValue 4 -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'DesiredValueNotAboveQuota,BedrockImport.Cmdlets.RequestBedrockImportQuotaIncreaseCommand'
        $errors[0].Exception.Message | Should -Match 'not above the current value 4'
    }

    It 'refuses an unknown quota name like any enum parameter' {
        { Request-BedrockImportQuotaIncrease -Quota Models -DesiredValue 4 -WhatIf } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,BedrockImport.Cmdlets.RequestBedrockImportQuotaIncreaseCommand'
    }
}

Describe 'The endpoint refuses a second concurrent import job at a quota of 1' -Tag 'CI' {
    It 'answers ServiceQuotaExceededException while the first job runs, and accepts the job once it completed' {
        Set-QuotaKnobs @{ concurrentImportJobs = @{ defaultValue = 1; appliedValue = 1 } } -Bedrock @{ importDurationMs = 2500 }
        $uri = Send-Sample 'quota-concurrent'
        $first = Start-BedrockModelImport -ModelName quota-first -S3Uri $uri -RoleArn $role
        (Get-Quota ConcurrentImportJobs).Remaining | Should -Be 0

        $errors = $null
        # -SkipPreflight: the preflight would stop it first (see below); here the service's own refusal is tested.
        $second = Start-BedrockModelImport -ModelName quota-second -S3Uri $uri -RoleArn $role -SkipPreflight -ErrorVariable errors -ErrorAction SilentlyContinue
        $second | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ServiceQuotaExceededException,BedrockImport.Cmdlets.StartBedrockModelImportCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'QuotaExceeded'
        $errors[0].Exception.Message | Should -Match 'quota of 1 concurrent model import jobs'

        $first | Wait-BedrockImportJob -ErrorAction Stop | Out-Null
        $again = Start-BedrockModelImport -ModelName quota-second -S3Uri $uri -RoleArn $role
        $again.JobArn | Should -Not -BeNullOrEmpty
        ($again | Wait-BedrockImportJob -ErrorAction Stop).ModelName | Should -Be 'quota-second'
    }
}

