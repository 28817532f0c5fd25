using System.Text;
using System.Text.Json;
using BedrockImport.Inference.Model;

namespace BedrockImport.Inference.Tests.Model;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("safetensors-tests").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    /// <summary>Writes a safetensors file whose header is <paramref name="header"/> and data is <paramref name="data"/>.</summary>
    internal static void Write(string path, object header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes((long)json.Length));
        stream.Write(json);
        stream.Write(data);
    }

    private static object Entry(string dtype, long[] shape, long begin, long end) =>
        new Dictionary<string, object> { ["dtype"] = dtype, ["shape"] = shape, ["data_offsets"] = new[] { begin, end } };

    private static ushort Bf16(float value) => (ushort)(BitConverter.SingleToInt32Bits(value) >> 16);

    [Fact]
    public void Bf16_f16_and_f32_rows_read_in_place_equal_their_f32_values()
    {
        // Values exact in bf16 and f16, so each dtype's bytes must come back as the same floats.
        var values = Enumerable.Range(0, 40).Select(i => (i - 17) * 0.375f).ToArray();
        var bf16 = values.SelectMany(v => BitConverter.GetBytes(Bf16(v))).ToArray();
        var f16 = values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray();
        var f32 = values.SelectMany(BitConverter.GetBytes).ToArray();
        var data = bf16.Concat(f16).Concat(f32).ToArray();
        string path = Path.Combine(folder, "model.safetensors");
        Write(path, new Dictionary<string, object>
        {
            ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" },
            ["b"] = Entry("BF16", new long[] { 2, 20 }, 0, 80),
            ["h"] = Entry("F16", new long[] { 2, 20 }, 80, 160),
            ["f"] = Entry("F32", new long[] { 2, 20 }, 160, 320),
        }, data);
        using var file = SafetensorsFile.Open(path);
        foreach (var name in new[] { "b", "h", "f" })
        {
            var tensor = file.Get(name);
            Assert.Equal(2, tensor.Rows);
            Assert.Equal(20, tensor.Columns);
            var row = new float[20];
            tensor.ReadRow(1, row);
            Assert.Equal(values.Skip(20).ToArray(), row);
            Assert.Equal(values, tensor.ToArray());
        }
        Assert.Equal(WeightDtype.BF16, file.Get("b").Dtype);
    }

    [Fact]
    public void A_bf16_row_of_arbitrary_bits_converts_to_the_f32_with_those_high_bits()
    {
        var random = new Random(7);
        var bits = Enumerable.Range(0, 37).Select(_ => (ushort)random.Next(0, 0x7F80)).ToArray();
        var expected = bits.Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray();
        var converted = new float[bits.Length];
        WeightTensor.Bf16ToSingle(bits, converted);
        Assert.Equal(expected, converted);
    }

    [Fact]
    public void A_fixture_tensor_read_in_place_equals_its_bytes_converted_by_hand()
    {
        string shard = FixtureTests.FixturePath("llama", "model-00001-of-00005.safetensors");
        using var file = SafetensorsFile.Open(shard);
        var tensor = file.Get("model.embed_tokens.weight");
        Assert.Equal(WeightDtype.BF16, tensor.Dtype);
        // Find the tensor's bytes independently from the raw header.
        var bytes = File.ReadAllBytes(shard);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        long begin = header.RootElement.GetProperty("model.embed_tokens.weight").GetProperty("data_offsets")[0].GetInt64();
        int row = 123;
        var expected = new float[tensor.Columns];
        for (int c = 0; c < expected.Length; c++)
        {
            long at = 8 + headerLength + begin + 2L * (row * tensor.Columns + c);
            expected[c] = BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(bytes, (int)at) << 16);
        }
        var actual = new float[tensor.Columns];
        tensor.ReadRow(row, actual);
        Assert.Equal(expected, actual);
        Assert.Contains(actual, v => v != 0);
    }

    [Theory]
    [InlineData(37, 1)]
    [InlineData(37, 6)]
    [InlineData(53, 1)]
    [InlineData(53, 9)]
    public void A_linear_layer_over_bf16_rows_equals_the_dot_products_of_their_f32_values(int columns, int tokens)
    {
        // Lengths that are not multiples of the vector width, so the kernels' tails run too.
        const int rows = 19;
        var random = new Random(columns * 31 + tokens);
        var weightBits = Enumerable.Range(0, rows * columns).Select(_ => Bf16(random.NextSingle() * 2 - 1)).ToArray();
        var bias = Enumerable.Range(0, rows).Select(_ => random.NextSingle()).ToArray();
        var input = Enumerable.Range(0, tokens * columns).Select(_ => random.NextSingle() * 4 - 2).ToArray();
        string path = Path.Combine(folder, "linear.safetensors");
        Write(path, new Dictionary<string, object> { ["w"] = Entry("BF16", new long[] { rows, columns }, 0, rows * columns * 2) },
            weightBits.SelectMany(BitConverter.GetBytes).ToArray());
        using var file = SafetensorsFile.Open(path);
        var output = new float[tokens * rows];
        new Linear(file.Get("w"), bias).Apply(input, tokens, output);
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                double expected = bias[r];
                for (int c = 0; c < columns; c++)
                {
                    expected += (double)BitConverter.Int32BitsToSingle(weightBits[r * columns + c] << 16) * input[t * columns + c];
                }
                Assert.Equal(expected, output[t * rows + r], 1e-4);
            }
        }
        // Arrays shorter than the token count says are refused before any kernel reads past them.
        var linear = new Linear(file.Get("w"), bias);
        Assert.Throws<ArgumentException>(() => linear.Apply(new float[columns - 1], 1, new float[rows]));
        Assert.Throws<ArgumentException>(() => linear.Apply(input, tokens, new float[tokens * rows - 1]));
    }

    [Theory]
    [InlineData("beyond", "outside the file")]
    [InlineData("length", "needs 8")]
    [InlineData("dtype", "unknown dtype 'Q4'")]
    [InlineData("header", "does not fit the file")]
    [InlineData("negative", "non-negative")]
    public void Malformed_headers_are_clear_errors(string fault, string expectedMessage)
    {
        string path = Path.Combine(folder, "bad.safetensors");
        var data = new byte[16];
        object header = fault switch
        {
            "beyond" => new Dictionary<string, object> { ["w"] = Entry("F32", new long[] { 2, 2 }, 8, 24) },
            "length" => new Dictionary<string, object> { ["w"] = Entry("F32", new long[] { 2 }, 0, 12) },
            "dtype" => new Dictionary<string, object> { ["w"] = Entry("Q4", new long[] { 2 }, 0, 2) },
            "negative" => new Dictionary<string, object> { ["w"] = Entry("F32", new long[] { -1 }, 0, 4) },
            _ => new Dictionary<string, object>(),
        };
        Write(path, header, data);
        if (fault == "header")
        {
            using var stream = File.OpenWrite(path);
            stream.Write(BitConverter.GetBytes(1L << 40));
        }
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(expectedMessage, error.Message);
        Assert.Contains("bad.safetensors", error.Message);
    }

    [Fact]
    public void A_file_too_short_for_a_header_and_a_shard_outside_the_folder_are_errors()
    {
        string shortFile = Path.Combine(folder, "short.safetensors");
        File.WriteAllBytes(shortFile, new byte[3]);
        Assert.Contains("too short", Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(shortFile)).Message);

        File.WriteAllText(Path.Combine(folder, ModelWeights.IndexFileName), "{\"weight_map\":{\"w\":\"../elsewhere.safetensors\"}}");
        Assert.Contains("beside it", Assert.Throws<ModelFormatException>(() => ModelWeights.Open(folder)).Message);
    }

    [Fact]
    public void The_index_must_name_tensors_its_shards_hold()
    {
        Write(Path.Combine(folder, "a.safetensors"), new Dictionary<string, object> { ["w"] = Entry("F32", new long[] { 1 }, 0, 4) }, new byte[4]);
        File.WriteAllText(Path.Combine(folder, ModelWeights.IndexFileName), "{\"weight_map\":{\"w\":\"a.safetensors\",\"v\":\"a.safetensors\"}}");
        Assert.Contains("no such tensor", Assert.Throws<ModelFormatException>(() => ModelWeights.Open(folder)).Message);
    }

    [Fact]
    public void The_fixture_index_maps_every_tensor_to_its_shard()
    {
        using var weights = ModelWeights.Open(FixtureTests.FixturePath("llama"));
        Assert.Contains("lm_head.weight", weights.TensorNames);
        Assert.Equal(new long[] { 594, 64 }, weights.Get("lm_head.weight").Shape);
        long shardBytes = Directory.GetFiles(FixtureTests.FixturePath("llama"), "*.safetensors").Sum(f => new FileInfo(f).Length);
        Assert.Equal(shardBytes, weights.MappedBytes);
    }
}
