BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
}

Describe 'New-BedrockSampleModel -Dtype' -Tag 'CI' {
    It 'writes tensors of the dtype asked for, the name bound case-insensitively' -ForEach @(
        @{ Given = 'bf16'; Expected = 'BF16' }
        @{ Given = 'F16'; Expected = 'F16' }
        @{ Given = 'f32'; Expected = 'F32' }
    ) {
        $folder = Join-Path $TestDrive "dtype-$Given"
        New-BedrockSampleModel -Path $folder -ShardCount 1 -Dtype $Given | Out-Null
        $report = Test-BedrockModelSource -Path $folder
        $report.Dtype | Should -BeExactly $Expected
        $report.ConfigDtype | Should -BeExactly $Expected
        $report.Passed | Should -BeTrue
    }

    It 'writes BF16 by default' {
        $folder = Join-Path $TestDrive 'dtype-default'
        New-BedrockSampleModel -Path $folder -ShardCount 1 | Out-Null
        (Test-BedrockModelSource -Path $folder).Dtype | Should -BeExactly 'BF16'
    }

    It 'refuses a dtype Custom Model Import does not accept, naming the ones it does' {
        $folder = Join-Path $TestDrive 'dtype-i8'
        $failure = { New-BedrockSampleModel -Path $folder -Dtype I8 } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        $failure.Exception.Message | Should -Match 'BF16.*F16.*F32'
        Test-Path $folder | Should -BeFalse
    }

    It 'is an enum parameter that tab-completes its three values' {
        (Get-Command New-BedrockSampleModel).Parameters['Dtype'].ParameterType.IsEnum | Should -BeTrue
        $line = 'New-BedrockSampleModel ./x -Dtype '
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        @($completions.CompletionMatches.CompletionText) | Should -Be @('BF16', 'F16', 'F32')
    }
}
