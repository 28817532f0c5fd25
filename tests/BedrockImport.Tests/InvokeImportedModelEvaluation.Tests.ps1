# Invoke-ImportedModelEvaluation against the local endpoint: answer books plant a known share of right answers, so
# every figure the command prints can be checked against a value worked out by hand here.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    $script:claude = 'anthropic.claude-3-sonnet-20240229-v1:0'
    $script:dataset = Join-Path $PSScriptRoot '../../samples/jcommonsenseqa-mini.jsonl'
    $script:items = @(Get-Content $dataset -Encoding utf8 | ConvertFrom-Json)

    # The pick of item i: its label (right), the next choice (wrong) or no choice at all (an answer naming none).
    function Get-Answers([scriptblock] $Pick) {
        $book = @{}
        for ($i = 0; $i -lt $items.Count; $i++) {
            $item = $items[$i]
            $book[$item.question] = switch (& $Pick $i) {
                'right' { ' <answer>' + $item."choice$($item.label)" + '</answer>' }
                'wrong' { ' <answer>' + $item."choice$(($item.label + 1) % 5)" + '</answer>' }
                default { ' わかりません。' }
            }
        }
        $book
    }

    # The imported model: right on items 0-14, wrong on 15-17, unparsed on 18-19 (15/20 = 75 %, 2 unparsed).
    $script:youkoPick = { param($i) if ($i -lt 15) { 'right' } elseif ($i -lt 18) { 'wrong' } else { 'none' } }
    # The stand-in Claude: right on 0-8 and 15, wrong elsewhere (10/20 = 50 %).
    $script:claudePick = { param($i) if ($i -lt 9 -or $i -eq 15) { 'right' } else { 'wrong' } }
    $script:youko = Import-TestSample youko -Bucket evaluation -Folder $TestDrive -RoleArn $role -Response (Get-Answers $youkoPick)

    # A stand-in foundation model answers from DATA/foundation-models/<id with ':' as '_'>/responses.jsonl.
    $claudeBook = Join-Path $endpoint.DataPath "foundation-models/$($claude.Replace(':', '_'))/responses.jsonl"
    New-Item -ItemType Directory -Force (Split-Path $claudeBook) | Out-Null
    $answers = Get-Answers $claudePick
    $answers.Keys | ForEach-Object { @{ contains = $_; response = $answers[$_] } | ConvertTo-Json -Compress } | Set-Content $claudeBook -Encoding utf8

    function Get-Rows([string] $Path) { @(Get-Content $Path -Encoding utf8 | Where-Object { $_.Trim() } | ConvertFrom-Json) }

    # Runs a command in a fresh pwsh against the endpoint; returns the process (not waited for).
    function Start-ChildPwsh([string] $Command) {
        $connection = "-EndpointUrl '$($endpoint.EndpointUrl)' -Region $($endpoint.Region) -AccessKey $($endpoint.AccessKey) -SecretKey '$($endpoint.SecretKey)'"
        $script = "`$PSStyle.OutputRendering = 'PlainText'; `$ProgressPreference = 'SilentlyContinue'; Import-Module '$env:BEDROCKIMPORT_MODULE'; " + $Command.Replace('$connection', $connection)
        $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command', $script)) { $start.ArgumentList.Add($a) }
        $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true
        [System.Diagnostics.Process]::Start($start)
    }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Invoke-ImportedModelEvaluation' -Tag 'CI' {
    AfterEach { Set-TestKnobs $endpoint }

    It 'measures exactly the planted share, counts unparsed answers and reports tokens and latency' {
        $summary = Invoke-ImportedModelEvaluation youko -Path $dataset
        $summary.Model | Should -Be 'youko'
        $summary.Dataset | Should -Be 'jcommonsenseqa-mini.jsonl'
        $summary.Items | Should -Be 20
        $summary.Correct | Should -Be 15
        $summary.Accuracy | Should -Be 0.75
        $summary.Unparsed | Should -Be 2
        # Wilson 95 % for 15/20 (z = 1.959964): centre 0.708, half-width 0.177.
        $summary.AccuracyLow | Should -BeGreaterThan 0.5312
        $summary.AccuracyLow | Should -BeLessThan 0.5314
        $summary.AccuracyHigh | Should -BeGreaterThan 0.8880
        $summary.AccuracyHigh | Should -BeLessThan 0.8882
        $summary.InputTokens | Should -BeGreaterThan 0
        $summary.OutputTokens | Should -BeGreaterThan 0
        $summary.P95LatencyMs | Should -BeGreaterOrEqual $summary.P50LatencyMs
        # The answer book answers after the prompt; the client-side stop cuts at </answer>, so 15 confusion cells are on the diagonal.
        ($summary.Confusion | Where-Object { $_.Label -eq $_.Predicted } | Measure-Object Count -Sum).Sum | Should -Be 15
        ($summary.Confusion | Where-Object Predicted -eq -1 | Measure-Object Count -Sum).Sum | Should -Be 2
    }

    It 'sends the field report''s prompt byte for byte for its question' {
        # The endpoint answers an entry whose "prompt" equals the prompt sent exactly; any other prompt gets pseudo-text.
        $expected = "### 例 ###`n質問: 電子機器で使用される最も主要な電子回路基板の事をなんと言う？`nchoice0: 掲示板`nchoice1: パソコン`nchoice2: マザーボード`nchoice3: ハードディスク`nchoice4: まな板`n回答: <answer>マザーボード</answer>`n`n質問: 次のうち、金管楽器であるのはどれ？`nchoice0: トランペット`nchoice1: ガラス`nchoice2: メビウス`nchoice3: メタル`nchoice4: 設計`n回答:"
        $folder = Join-Path $TestDrive 'exact'
        New-BedrockSampleModel -Path $folder -ShardCount 1 | Out-Null
        @{ prompt = $expected; response = ' <answer>トランペット</answer>' } | ConvertTo-Json -Compress | Set-Content (Join-Path $folder 'responses.jsonl') -Encoding utf8
        Copy-BedrockModelSource $folder 's3://evaluation/exact/' -CreateBucket | Start-BedrockModelImport -ModelName exact -RoleArn $role | Wait-BedrockImportJob | Out-Null
        $question = [pscustomobject]@{ q_id = 1; question = '次のうち、金管楽器であるのはどれ？'; choice0 = 'トランペット'; choice1 = 'ガラス'; choice2 = 'メビウス'; choice3 = 'メタル'; choice4 = '設計'; label = 0 }

        $row = $question | Invoke-ImportedModelEvaluation exact -PassThru | Where-Object { $_.PSObject.TypeNames[0] -like '*EvaluationRow' }
        $row.Prompt | Should -BeExactly $expected
        $row.Completion | Should -Be ' <answer>トランペット'
        $row.Rule | Should -Be 'AnswerTag'
        $row.Correct | Should -BeTrue
        # One character more or less and the book would not answer: the same item under another template is Unparsed.
        $other = $question | Invoke-ImportedModelEvaluation exact -PromptTemplate "{examples}質問：{question}`n{choices}`n回答:" -PassThru |
            Where-Object { $_.PSObject.TypeNames[0] -like '*EvaluationRow' }
        $other.Correct | Should -BeFalse
    }

    It 'compares an imported model with a stand-in Bedrock model on the same items (McNemar by hand)' {
        $rows = [System.Collections.Generic.List[object]]::new()
        $out = Invoke-ImportedModelEvaluation youko, $claude -Path $dataset -ThrottleLimit 6 -PassThru
        $summaries = @($out | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelSummary' })
        $comparison = $out | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelComparison' }
        $itemRows = @($out | Where-Object { $_.PSObject.TypeNames[0] -like '*EvaluationRow' })

        $summaries.Model | Should -Be @('youko', $claude)
        $summaries.Accuracy | Should -Be @(0.75, 0.5)
        $itemRows.Count | Should -Be 40
        # Rows in item order, then model order, whatever order the answers came in.
        ($itemRows | Select-Object -First 4 | ForEach-Object { "$($_.ItemId)/$($_.Model)" }) -join ' ' | Should -Be "9000/youko 9000/$claude 9001/youko 9001/$claude"
        $comparison.PairedItems | Should -Be 20
        # Discordant pairs: youko alone right on items 9-14 (b = 6), Claude alone right on item 15 (c = 1).
        $comparison.OnlyACorrect | Should -Be 6
        $comparison.OnlyBCorrect | Should -Be 1
        $comparison.BothCorrect | Should -Be 9
        $comparison.BothWrong | Should -Be 4
        # Exact McNemar: p = 2 * P(X <= 1 | n = 7, 1/2) = 2 * (1 + 7) / 128 = 0.125.
        [math]::Abs($comparison.McNemarP - 0.125) | Should -BeLessThan 1e-12
        $comparison.AccuracyDifference | Should -Be 0.25
        # The same pick on items 0-8 (both right) and 16-17 (the same wrong choice): 11 of 20; 18-19 (youko unparsed) are not agreement.
        $comparison.AgreementRate | Should -Be 0.55
        (Get-TestCallCount $endpoint 'bedrock:Converse') | Should -BeGreaterOrEqual 20
    }

    It 'writes an HTML report whose numbers, as headless Chromium renders them, equal the summary objects' {
        $report = Join-Path $TestDrive 'report.html'
        $out = Invoke-ImportedModelEvaluation youko, $claude -Path $dataset -ReportPath $report -ThrottleLimit 6
        $summaries = @($out | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelSummary' })
        $comparison = $out | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelComparison' }
        $fields = @(Get-RenderedDataField -Path $report)
        function Shown([string] $Model, [string] $Field, [string] $ModelB) {
            $found = @($fields | Where-Object { $_.Model -eq $Model -and $_.Field -eq $Field -and (-not $ModelB -or $_.ModelB -eq $ModelB) -and -not $_.Item -and $null -eq $_.Label })
            $found.Count | Should -Be 1 -Because "$Model $Field is shown once"
            $found[0]
        }
        $invariant = [cultureinfo]::InvariantCulture
        foreach ($summary in $summaries) {
            foreach ($name in 'Items', 'Correct', 'Unparsed', 'InputTokens', 'OutputTokens') {
                [long] (Shown $summary.Model $name).Value | Should -Be $summary.$name -Because "$($summary.Model) $name"
            }
            foreach ($name in 'Accuracy', 'AccuracyLow', 'AccuracyHigh', 'MeanLatencyMs', 'P50LatencyMs', 'P95LatencyMs') {
                [double]::Parse((Shown $summary.Model $name).Value, $invariant) | Should -Be $summary.$name -Because "$($summary.Model) $name"
            }
            (Shown $summary.Model 'Accuracy').Text | Should -Be ('{0:0.0}%' -f (100 * $summary.Accuracy)).Replace(',', '.')
        }
        foreach ($name in 'McNemarP', 'AgreementRate', 'AccuracyDifference') {
            [double]::Parse((Shown 'youko' $name $claude).Value, $invariant) | Should -Be $comparison.$name -Because $name
        }
        foreach ($name in 'OnlyACorrect', 'OnlyBCorrect', 'BothCorrect', 'BothWrong') {
            [long] (Shown 'youko' $name $claude).Value | Should -Be $comparison.$name -Because $name
        }
        # Per-choice confusion as the objects count it, and the disagreeing items (the 7 discordant ones and 15, 18, 19).
        foreach ($cell in $summaries[0].Confusion) {
            $shown = @($fields | Where-Object { $_.Model -eq 'youko' -and $null -ne $_.Label -and [int] $_.Label -eq $cell.Label -and [int] $_.Predicted -eq $cell.Predicted })
            [long] $shown[0].Value | Should -Be $cell.Count
        }
        @($fields | Where-Object Item | ForEach-Object Item | Sort-Object -Unique).Count | Should -Be 9
        $shot = Save-RenderedScreenshot -Path $report -Destination (Join-Path $TestDrive 'report.png') -Width 1000 -Height 1400
        Get-PngColourCount -Path $shot.FullName | Should -BeGreaterThan 10
    }

    It 'resumes a killed run from -ResultPath and scores each item exactly once' {
        $results = Join-Path $TestDrive 'killed.jsonl'
        Set-TestKnobs $endpoint -Knobs @{ latencyMs = @{ 'bedrock:InvokeModel' = 250 } }
        $child = Start-ChildPwsh "Invoke-ImportedModelEvaluation youko -Path '$dataset' -ResultPath '$results' -ThrottleLimit 2 `$connection"
        try {
            Wait-TestCondition { (Test-Path $results) -and @(Get-Content $results).Count -ge 6 } -TimeoutSeconds 60 | Should -BeTrue -Because 'the child run writes rows as it goes'
        }
        finally {
            $child.Kill($true)
            $child.WaitForExit()
        }
        $before = @(Get-Content $results -Encoding utf8 | Where-Object { $_.Trim() -and $_.EndsWith('}') }).Count
        $before | Should -BeLessThan 20 -Because 'the run was killed before the end'
        Set-TestKnobs $endpoint
        Reset-TestStats $endpoint

        $summary = Invoke-ImportedModelEvaluation youko -Path $dataset -ResultPath $results -WarningVariable warnings
        $summary.Items | Should -Be 20
        $summary.Correct | Should -Be 15
        (Get-TestCallCount $endpoint 'bedrock:InvokeModel') | Should -Be (20 - $before) -Because 'items already scored are not asked again'
        $rows = Get-Rows $results
        $rows.Count | Should -Be 20
        @($rows | Group-Object itemId | Where-Object Count -ne 1).Count | Should -Be 0
        ($rows.itemId | Sort-Object) -join ',' | Should -Be (($items.q_id | ForEach-Object { "$_" } | Sort-Object) -join ',')

        # A third run asks nothing; a changed prompt is a new run, not mixed in.
        Reset-TestStats $endpoint
        (Invoke-ImportedModelEvaluation youko -Path $dataset -ResultPath $results).Correct | Should -Be 15
        (Get-TestCallCount $endpoint 'bedrock:InvokeModel') | Should -Be 0
        Invoke-ImportedModelEvaluation youko -Path $dataset -ResultPath $results -Shots 0 | Out-Null
        (Get-TestCallCount $endpoint 'bedrock:InvokeModel') | Should -Be 20
        @(Get-Rows $results | Group-Object runKey).Count | Should -Be 2
    }

    It 'resumes from a CSV result file too, after a half-written last row' {
        $results = Join-Path $TestDrive 'rows.csv'
        Invoke-ImportedModelEvaluation youko -Path $dataset -ResultPath $results | Out-Null
        $csv = @(Import-Csv $results)
        $csv.Count | Should -Be 20
        ($csv | Where-Object correct -eq 'true').Count | Should -Be 15
        # Cut the file in the middle of its last row, as a kill during a write would.
        $bytes = [System.IO.File]::ReadAllBytes($results)
        [System.IO.File]::WriteAllBytes($results, $bytes[0..($bytes.Length - 30)])
        Reset-TestStats $endpoint
        $summary = Invoke-ImportedModelEvaluation youko -Path $dataset -ResultPath $results -WarningVariable warnings -WarningAction SilentlyContinue
        $summary.Correct | Should -Be 15
        (Get-TestCallCount $endpoint 'bedrock:InvokeModel') | Should -Be 1
        "$warnings" | Should -Match 'half written'
        @(Import-Csv $results).Count | Should -Be 20
    }

    It 'reads CSV and piped objects with a field map' {
        $csvPath = Join-Path $TestDrive 'mapped.csv'
        $items | ForEach-Object { [pscustomobject]@{ id = $_.q_id; text = $_.question; options = (0..4 | ForEach-Object -Begin { $item = $_ } { }) ; answer = $_.label } } | Out-Null
        $items | ForEach-Object { $i = $_; [pscustomobject]@{ id = $i.q_id; text = $i.question; options = (0..4 | ForEach-Object { $i."choice$_" }) -join '|'; answer = $i.label } } |
            Export-Csv $csvPath -Encoding utf8
        $map = @{ id = 'id'; question = 'text'; choices = 'options'; label = 'answer' }
        (Invoke-ImportedModelEvaluation youko -Path $csvPath -FieldMap $map).Correct | Should -Be 15
        $piped = $items | ForEach-Object { $i = $_; @{ id = $i.q_id; text = $i.question; options = @(0..4 | ForEach-Object { $i."choice$_" }); answer = $i.label } }
        ($piped | Invoke-ImportedModelEvaluation youko -FieldMap $map -Dataset mini).Dataset | Should -Be 'mini'
        ($piped | Invoke-ImportedModelEvaluation youko -FieldMap $map).Correct | Should -Be 15
    }

    It 'shows progress: items done, running accuracy per model, rate and time left' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $env:BEDROCKIMPORT_MODULE).Invoke()
            $ps.Commands.Clear()
            $connection = @{ EndpointUrl = $endpoint.EndpointUrl; Region = $endpoint.Region; AccessKey = $endpoint.AccessKey; SecretKey = $endpoint.SecretKey }
            $null = $ps.AddCommand('Invoke-ImportedModelEvaluation').AddParameters(@{ ModelId = @('youko', $claude); Path = $dataset } + $connection).Invoke()
            $records = @($ps.Streams.Progress | Where-Object Activity -like 'Evaluating youko, *')
        }
        finally { $ps.Dispose() }
        $records.Count | Should -BeGreaterThan 1
        $done = $records | Where-Object RecordType -eq 'Completed'
        @($done).Count | Should -Be 1
        $last = $records | Where-Object RecordType -ne 'Completed' | Select-Object -Last 1
        $last.StatusDescription | Should -Match "^20 of 20 items · youko 75\.0% · $([regex]::Escape($claude)) 50\.0% · [\d.]+ requests/s$"
        $last.PercentComplete | Should -Be 100
        $last.SecondsRemaining | Should -Be 0
        $first = $records | Select-Object -First 1
        $first.StatusDescription | Should -Match '^1 of 20 items'
        $first.SecondsRemaining | Should -BeGreaterThan -1
    }

    It '-WhatIf says what it would send and sends nothing' {
        Reset-TestStats $endpoint
        $child = Start-ChildPwsh "Invoke-ImportedModelEvaluation youko, $claude -Path '$dataset' -WhatIf `$connection"
        $output = $child.StandardOutput.ReadToEnd()
        $child.WaitForExit(60000) | Should -BeTrue
        $output | Should -Match 'What if: .*Evaluate on 20 items of jcommonsenseqa-mini\.jsonl: 20 requests, about [\d,]+ prompt tokens'
        ([regex]::Matches($output, 'What if:')).Count | Should -Be 2
        (Get-TestCallCount $endpoint 'bedrock:InvokeModel') + (Get-TestCallCount $endpoint 'bedrock:Converse') | Should -Be 0
    }

    It 'refuses bad input before sending anything: <Case>' -ForEach @(
        @{ Case = 'a row without a label'; Lines = @('{"q_id": 1, "question": "q", "choice0": "a", "choice1": "b"}'); Id = 'InvalidDatasetRow'; Message = "row 1, field 'label'" }
        @{ Case = 'a label out of range'; Lines = @('{"q_id": 1, "question": "q", "choice0": "a", "choice1": "b", "label": 0}', '{"q_id": 2, "question": "q2", "choice0": "a", "choice1": "b", "label": 7}'); Id = 'InvalidDatasetRow'; Message = 'row 2.*outside 0\.\.1' }
        @{ Case = 'a line that is not JSON'; Lines = @('{"q_id": 1, "question": "q", "choice0": "a", "choice1": "b", "label": 0}', '{"q_id": 2,'); Id = 'InvalidDatasetRow'; Message = 'row 2.*not valid JSON' }
        @{ Case = 'an id twice'; Lines = @('{"q_id": 1, "question": "q", "choice0": "a", "choice1": "b", "label": 0}', '{"q_id": 1, "question": "q2", "choice0": "a", "choice1": "b", "label": 1}'); Id = 'DuplicateItemId'; Message = "'1' occurs twice" }
    ) {
        $path = Join-Path $TestDrive 'bad.jsonl'
        Set-Content $path -Value $Lines -Encoding utf8
        Reset-TestStats $endpoint
        $err = $null
        Invoke-ImportedModelEvaluation youko -Path $path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err[0].Exception.Message | Should -Match $Message
        (Get-TestCallCount $endpoint 'bedrock:InvokeModel') | Should -Be 0
    }

    It 'refuses bad parameters with specific errors: <Case>' -ForEach @(
        @{ Case = 'an unknown placeholder'; Parameters = @{ PromptTemplate = '{question} {answer}' }; Id = 'InvalidPromptTemplate' }
        @{ Case = 'a template that is neither file nor template'; Parameters = @{ PromptTemplate = 'no-such-template.txt' }; Id = 'PromptTemplateNotFound' }
        @{ Case = 'more shots than the built-in pool'; Parameters = @{ Shots = 3 }; Id = 'TooFewExamples' }
        @{ Case = 'an unknown field map key'; Parameters = @{ FieldMap = @{ answer = 'label' } }; Id = 'InvalidFieldMap' }
        @{ Case = 'a missing data set'; Parameters = @{ Path = 'no-such.jsonl' }; Id = 'DatasetNotFound' }
        @{ Case = 'InvokeModel for a Bedrock model'; Parameters = @{ ModelId = 'anthropic.claude-3-sonnet-20240229-v1:0'; Api = 'InvokeModel' }; Id = 'InvokeModelNeedsImportedModel' }
        @{ Case = 'a model that does not exist'; Parameters = @{ ModelId = 'no-such-model' }; Id = 'ResourceNotFoundException' }
    ) {
        $arguments = @{ ModelId = 'youko'; Path = $dataset }
        foreach ($key in $Parameters.Keys) { $arguments[$key] = $Parameters[$key] }
        Reset-TestStats $endpoint
        $err = $null
        Invoke-ImportedModelEvaluation @arguments -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        (Get-TestCallCount $endpoint 'bedrock:InvokeModel') + (Get-TestCallCount $endpoint 'bedrock:Converse') | Should -Be 0
    }

    It 'draws -Shots examples from -FewShotPath, never the item itself' {
        $pool = Join-Path $TestDrive 'pool.jsonl'
        Get-Content $dataset -Encoding utf8 | Select-Object -First 3 | Set-Content $pool -Encoding utf8
        $rows = @(Invoke-ImportedModelEvaluation youko -Path $dataset -FewShotPath $pool -Shots 2 -PassThru | Where-Object { $_.PSObject.TypeNames[0] -like '*EvaluationRow' })
        function Count-Of([string] $text, [string] $part) { ([regex]::Matches($text, [regex]::Escape($part))).Count }
        # Item 0 is in the pool: its examples are pool items 1 and 2; every other item gets pool items 0 and 1.
        Count-Of $rows[0].Prompt $items[0].question | Should -Be 1
        Count-Of $rows[0].Prompt $items[1].question | Should -Be 1
        Count-Of $rows[0].Prompt $items[2].question | Should -Be 1
        Count-Of $rows[5].Prompt $items[0].question | Should -Be 1
        Count-Of $rows[5].Prompt $items[2].question | Should -Be 0
        Count-Of $rows[5].Prompt '<answer>' | Should -Be 2
        $rows[5].Prompt | Should -BeLike "### 例 ###`n質問: $($items[0].question)`n*"
        @($rows | Where-Object Correct).Count | Should -Be 15
    }

    It 'asks for one of the choices with -ConstrainToChoices (structured outputs), so nothing is unparsed' {
        $out = Invoke-ImportedModelEvaluation youko, $claude -Path $dataset -ConstrainToChoices -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
        $rows = @($out | Where-Object { $_.PSObject.TypeNames[0] -like '*EvaluationRow' -and $_.Model -eq 'youko' })
        $summary = $out | Where-Object { $_.PSObject.TypeNames[0] -like '*ModelSummary' -and $_.Model -eq 'youko' }
        for ($i = 0; $i -lt $items.Count; $i++) {
            $choices = 0..4 | ForEach-Object { $items[$i]."choice$_" }
            $rows[$i].Completion | Should -BeIn $choices
            $rows[$i].Rule | Should -Be 'ExactText'
        }
        $summary.Unparsed | Should -Be 0
        # The 18 book answers are kept (15 right, 3 wrong); the two "I don't know" items became some choice.
        @($rows | Select-Object -First 18 | Where-Object Correct).Count | Should -Be 15
        "$warnings" | Should -Match ([regex]::Escape($claude) + ' is asked without -ConstrainToChoices')
    }

    It 'puts each item to an instruct model as messages (-PromptStyle Messages)' {
        $instruct = Import-TestSample instruct -Bucket evaluation -Folder $TestDrive -RoleArn $role -ChatTemplate -Response (Get-Answers $youkoPick)
        $rows = @(Invoke-ImportedModelEvaluation instruct -Path $dataset -PromptStyle Messages -PassThru | Where-Object { $_.PSObject.TypeNames[0] -like '*EvaluationRow' })
        $messages = $rows[0].Prompt | ConvertFrom-Json
        $messages.role -join ',' | Should -Be 'system,user,assistant,user'
        $messages[2].content | Should -Be '<answer>マザーボード</answer>'
        $messages[3].content | Should -BeLike "質問: $($items[0].question)`n*"
        @($rows | Where-Object Correct).Count | Should -Be 15
    }
}
