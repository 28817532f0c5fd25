BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force

    function New-Sample([string] $Name, [switch] $ChatTemplate) {
        $folder = Join-Path $TestDrive $Name
        New-BedrockSampleModel -Path $folder -ShardCount 2 -ChatTemplate:$ChatTemplate | Out-Null
        $folder
    }
}

Describe 'Test-BedrockModelSource' -Tag 'CI' {
    It 'passes a well-formed sample model and describes it' {
        $folder = New-Sample 'good'
        $report = Test-BedrockModelSource -Path $folder
        $report.Passed | Should -BeTrue
        $report.Architecture | Should -Be 'LlamaForCausalLM'
        $report.ModelType | Should -Be 'llama'
        $report.Dtype | Should -Be 'BF16'
        $report.ParameterCount | Should -BeGreaterThan 0
        $report.TotalBytes | Should -Be ((Get-ChildItem $folder -File -Recurse | Measure-Object Length -Sum).Sum)
        $report.ChatTemplate | Should -BeFalse
        @($report.Problems | Where-Object Severity -eq 'Error') | Should -HaveCount 0
    }

    It 'sees a chat template in chat_template.jinja' {
        (Test-BedrockModelSource (New-Sample 'instruct' -ChatTemplate)).ChatTemplate | Should -BeTrue
    }

    It 'takes folders from the pipeline and answers a bare boolean with -Quiet' {
        $good = New-Sample 'quiet-good'
        $bad = New-Sample 'quiet-bad'
        Remove-Item (Join-Path $bad 'config.json')
        Get-Item $good, $bad | Test-BedrockModelSource -Quiet | Should -Be @($true, $false)
    }

    It 'reports <Code> for <Case>' -ForEach @(
        @{ Case = 'a missing config.json'; Code = 'ConfigMissing'; Break = { param($f) Remove-Item "$f/config.json" } }
        @{ Case = 'config.json that is not JSON'; Code = 'ConfigInvalidJson'; Break = { param($f) Set-Content "$f/config.json" '{ "architectures": [' } }
        @{ Case = 'an unsupported architecture'; Code = 'ArchitectureUnsupported'; Break = { param($f)
                $c = Get-Content "$f/config.json" -Raw | ConvertFrom-Json; $c.architectures = @('BertModel'); $c.model_type = 'bert'
                $c | ConvertTo-Json -Depth 10 | Set-Content "$f/config.json" } }
        @{ Case = 'a truncated shard'; Code = 'SafetensorsFileSizeMismatch'; Break = { param($f)
                $shard = Get-ChildItem $f -Filter '*.safetensors' | Select-Object -First 1
                $s = [IO.File]::Open($shard.FullName, 'Open'); $s.SetLength($s.Length - 10); $s.Dispose() } }
        @{ Case = 'a shard cut inside its header'; Code = 'SafetensorsTruncated'; Break = { param($f)
                $shard = Get-ChildItem $f -Filter '*.safetensors' | Select-Object -First 1
                $s = [IO.File]::Open($shard.FullName, 'Open'); $s.SetLength(20); $s.Dispose() } }
        @{ Case = 'an index naming a missing shard'; Code = 'IndexMissingShard'; Break = { param($f) Get-ChildItem $f -Filter '*.safetensors' | Select-Object -Last 1 | Remove-Item } }
        @{ Case = 'no tokenizer'; Code = 'TokenizerMissing'; Break = { param($f) Remove-Item "$f/tokenizer.json" } }
        @{ Case = 'no weights in safetensors'; Code = 'NoSafetensors'; Break = { param($f) Get-ChildItem $f -Filter 'model*' | Remove-Item } }
    ) {
        $folder = New-Sample ('broken-' + $Code)
        & $Break $folder
        $report = Test-BedrockModelSource -Path $folder
        $report.Passed | Should -BeFalse
        $report.Problems.Code | Should -Contain $Code
        ($report.Problems | Where-Object Code -eq $Code | Select-Object -First 1).Message | Should -Not -BeNullOrEmpty
    }

    It 'warns, and still passes, when config.json names the model only by model_type' {
        $folder = New-Sample 'no-architectures' -ChatTemplate
        $config = Get-Content "$folder/config.json" -Raw | ConvertFrom-Json -AsHashtable
        $config.Remove('architectures')
        $config | ConvertTo-Json -Depth 10 | Set-Content "$folder/config.json"

        $report = Test-BedrockModelSource -Path $folder -WarningVariable warnings -WarningAction SilentlyContinue

        $report.Passed | Should -BeTrue
        $report.Problems.Code | Should -Be @('ConfigArchitecturesMissing')
        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -BeLike 'ConfigArchitecturesMissing (config.json): config.json has no "architectures"; only "model_type": "llama".*'
        "$($warnings[0])" | Should -Match ([regex]::Escape('"architectures": ["LlamaForCausalLM"]'))

        $complete = New-Sample 'with-architectures' -ChatTemplate
        Test-BedrockModelSource -Path $complete -WarningVariable clean -WarningAction SilentlyContinue | Out-Null
        $clean | Should -HaveCount 0
    }

    It 'gives a specific error for a folder that does not exist' {
        { Test-BedrockModelSource -Path (Join-Path $TestDrive 'nope') -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathNotFound,BedrockImport.Cmdlets.TestBedrockModelSourceCommand'
    }
}
