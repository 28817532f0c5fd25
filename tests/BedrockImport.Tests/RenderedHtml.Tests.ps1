# The headless-Chromium helpers of TestEndpoint.psm1 on a static page written here: the DOM comes from Chromium's parser
# (it adds the tbody the source leaves out), every data-field element comes back with its decoded attributes and text,
# a screenshot of a page with content has many colours where a blank page has one, and a missing Chromium is an error
# that says why.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:page = Join-Path $TestDrive 'static.html'
    $html = @'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fields</title>
<style>body{margin:20px;background:#fff;color:#123}.bar{background:#4c78a8;height:40px;width:300px}</style></head>
<body><h1>静的なページ</h1><div class="bar"></div>
<table>
<tr><th>Accuracy</th><td><span data-model="model &amp; &quot;one&quot;" data-field="Accuracy" data-value="0.75">75.0%</span></td></tr>
<tr><th>Latency</th><td><span data-model="モデル二" data-field="MeanLatencyMs" data-value="">–</span></td></tr>
<tr><th>p</th><td class="num"><span data-model="a" data-model-b="b" data-field="McNemarP" data-value="0.001953125">0.002 &lt;x&gt;</span></td></tr>
</table>
<p data-item="q1" data-field="Label" data-value="3">3 <b>とり</b></p>
<p>no field here</p>
</body></html>
'@
    [System.IO.File]::WriteAllText($page, $html, [System.Text.UTF8Encoding]::new($false))
}

Describe 'Rendered HTML helpers' {
    It 'returns the DOM as Chromium parsed it' {
        $dom = Get-RenderedHtml -Path $page
        Get-Content -LiteralPath $page -Raw | Should -Not -Match '<tbody>'
        $dom | Should -Match '<tbody>'
        $dom | Should -Match '<h1>静的なページ</h1>'
    }

    It 'returns every data-field element with its attributes and text, decoded' {
        $fields = @(Get-RenderedDataField -Path $page)
        $fields.Count | Should -Be 4
        ($fields[0].Model, $fields[0].Field, $fields[0].Value, $fields[0].Text) | Should -Be @('model & "one"', 'Accuracy', '0.75', '75.0%')
        ($fields[1].Model, $fields[1].Field, $fields[1].Value, $fields[1].Text) | Should -Be @('モデル二', 'MeanLatencyMs', '', '–')
        ($fields[2].Model, $fields[2].ModelB, $fields[2].Field, $fields[2].Value, $fields[2].Text) | Should -Be @('a', 'b', 'McNemarP', '0.001953125', '0.002 <x>')
        [double]::Parse($fields[2].Value, [cultureinfo]::InvariantCulture) | Should -Be (2.0 / 1024)
        $fields[3].Model | Should -BeNullOrEmpty
        ($fields[3].Item, $fields[3].Field, $fields[3].Value, $fields[3].Text) | Should -Be @('q1', 'Label', '3', '3 とり')
    }

    It 'takes a screenshot with content, where a blank page has one colour' {
        $shot = Save-RenderedScreenshot -Path $page -Destination (Join-Path $TestDrive 'static.png') -Width 800 -Height 600
        $shot.Length | Should -BeGreaterThan 1000
        Get-PngColourCount -Path $shot.FullName | Should -BeGreaterThan 10

        $blank = Join-Path $TestDrive 'blank.html'
        Set-Content -LiteralPath $blank -Value '<!DOCTYPE html><html><body style="background:#fff"></body></html>'
        Get-PngColourCount -Path (Save-RenderedScreenshot -Path $blank -Destination (Join-Path $TestDrive 'blank.png') -Width 800 -Height 600).FullName |
            Should -Be 1
    }

    It 'fails with the reason when Chromium is missing' {
        $savedPath, $savedProblem = $env:PATH, $env:BEDROCKIMPORT_CHROMIUM_PROBLEM
        try {
            $env:PATH = $TestDrive
            $env:BEDROCKIMPORT_CHROMIUM_PROBLEM = 'apt-get install chromium failed (exit code 100).'
            { Get-RenderedHtml -Path $page } | Should -Throw 'Headless Chromium is needed to render HTML pages: apt-get install chromium failed (exit code 100).'
        }
        finally { $env:PATH, $env:BEDROCKIMPORT_CHROMIUM_PROBLEM = $savedPath, $savedProblem }
    }
}
