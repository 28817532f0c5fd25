# Parameters with a fixed set of values are enums of the cmdlet assembly ([BedrockImport.BodyFormat] and so on): they
# take the names in any case, refuse anything else as a validation error, complete on Tab, and reach the service spelt
# as the service wants.
BeforeDiscovery {
    $script:enumParameters = @(
        @{ Command = 'Invoke-ImportedModel'; Parameter = 'Format'; Type = 'BodyFormat'; Values = @('BedrockCompletion', 'OpenAICompletion', 'OpenAIChat'); Splat = @{ ModelId = 'x'; Prompt = 'hi' } }
        @{ Command = 'Enter-ImportedModelChat'; Parameter = 'Format'; Type = 'BodyFormat'; Values = @('BedrockCompletion', 'OpenAICompletion', 'OpenAIChat'); Splat = @{ ModelId = 'x' } }
        @{ Command = 'Get-BedrockImportJob'; Parameter = 'Status'; Type = 'ImportJobStatus'; Values = @('InProgress', 'Completed', 'Failed'); Splat = @{} }
        @{ Command = 'Get-BedrockImportJob'; Parameter = 'SortOrder'; Type = 'SortOrder'; Values = @('Ascending', 'Descending'); Splat = @{} }
        @{ Command = 'Get-ImportedModel'; Parameter = 'SortOrder'; Type = 'SortOrder'; Values = @('Ascending', 'Descending'); Splat = @{} }
    )
}

BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    $script:models = foreach ($name in 'values-first', 'values-second') {
        $folder = Join-Path $TestDrive $name
        New-BedrockSampleModel -Path $folder -ShardCount 1 | Out-Null
        Copy-BedrockModelSource $folder "s3://values/$name/" -CreateBucket | Start-BedrockModelImport -ModelName $name -RoleArn $role | Wait-BedrockImportJob
    }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Parameters with a fixed set of values' -Tag 'CI' {
    It '<Command> -<Parameter> is a [BedrockImport.<Type>] of <Values>' -ForEach $enumParameters {
        $enumType = [type] "BedrockImport.$Type"
        [Nullable]::GetUnderlyingType((Get-Command $Command).Parameters[$Parameter].ParameterType) | Should -Be $enumType
        [enum]::GetNames($enumType) | Should -Be $Values
        (Get-Command $Command).Parameters[$Parameter].Attributes.Where({ $_ -is [System.Management.Automation.ValidateSetAttribute] }) | Should -BeNullOrEmpty
        $help = Get-Help $Command -Parameter $Parameter
        $help.type.name | Should -Be "BedrockImport.$Type"
        $help.parameterValue | Should -Be $Type
    }

    It '<Command> -<Parameter> completes <Values> on Tab' -ForEach $enumParameters {
        $line = "$Command -$Parameter "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Sort-Object | Should -Be ($Values | Sort-Object)
        $line = "$Command -$Parameter $($Values[-1].Substring(0, 3).ToLowerInvariant())"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $Values[-1]
    }

    It '<Command> -<Parameter> refuses a number, another word and a padded name as a validation error naming the value' -ForEach $enumParameters {
        $class = (Get-Command $Command).ImplementingType.FullName
        foreach ($bad in @('1', 1, 'Nope', " $($Values[0])", "$($Values[0]),$($Values[1])", 99)) {
            $arguments = $Splat.Clone()
            $arguments[$Parameter] = $bad
            $caught = $null
            try { & $Command @arguments -ErrorAction Stop | Out-Null } catch { $caught = $_ }
            $caught | Should -Not -BeNullOrEmpty -Because "'$bad' is not a $Type"
            $caught.FullyQualifiedErrorId | Should -Be "ParameterArgumentValidationError,$class"
            $caught.CategoryInfo.Category | Should -Be 'InvalidData'
            $caught.Exception.Message | Should -Match "'$Parameter'"
            $caught.Exception.Message | Should -Match ([regex]::Escape("`"$bad`""))
            $caught.Exception.Message | Should -Match ([regex]::Escape($Values -join ','))
        }
    }

    It 'sends -Status in the service''s spelling whatever the case typed, or the enum value' {
        $jobs = Get-BedrockImportJob
        $jobs | Should -HaveCount 2
        (Get-BedrockImportJob -Status completed).JobName | Sort-Object | Should -Be ($jobs.JobName | Sort-Object)
        (Get-BedrockImportJob -Status COMPLETED).JobName | Sort-Object | Should -Be ($jobs.JobName | Sort-Object)
        (Get-BedrockImportJob -Status ([BedrockImport.ImportJobStatus]::Completed)).JobName | Sort-Object | Should -Be ($jobs.JobName | Sort-Object)
        Get-BedrockImportJob -Status inprogress | Should -BeNullOrEmpty
        Get-BedrockImportJob -Status ([BedrockImport.ImportJobStatus]::Failed) | Should -BeNullOrEmpty
    }

    It 'sorts by creation time with -SortOrder in any case' {
        $ascending = (Get-ImportedModel -SortOrder ascending).ModelName
        $descending = (Get-ImportedModel -SortOrder DESCENDING).ModelName
        $ascending | Should -Be @('values-first', 'values-second')
        $descending | Should -Be @('values-second', 'values-first')
        (Get-BedrockImportJob -SortOrder ([BedrockImport.SortOrder]::Descending)).ImportedModelName | Should -Be $descending
    }

    It 'invokes in the -Format given in any case, or as the enum value' {
        $arn = $models[0].ModelArn
        (Invoke-ImportedModel $arn -Prompt 'hi' -MaxTokens 3 -Format openaichat).Raw.Keys | Should -Contain 'choices'
        (Invoke-ImportedModel $arn -Prompt 'hi' -MaxTokens 3 -Format ([BedrockImport.BodyFormat]::OpenAIChat)).Raw.Keys | Should -Contain 'choices'
        (Invoke-ImportedModel $arn -Prompt 'hi' -MaxTokens 3 -Format bedrockcompletion).Raw.Keys | Should -Contain 'generation'
        (Invoke-ImportedModel $arn -Prompt 'hi' -MaxTokens 3 -Format OPENAICOMPLETION).Raw.Keys | Should -Contain 'choices'
    }
}
