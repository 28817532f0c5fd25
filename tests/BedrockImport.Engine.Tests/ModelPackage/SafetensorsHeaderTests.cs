using System.Text;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using Codes = BedrockImport.Engine.ModelPackage.ModelPackageProblemCodes;

namespace BedrockImport.Engine.Tests.ModelPackage;

public class SafetensorsHeaderTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Parses_tensors_metadata_and_counts_parameters()
    {
        var header = Json("{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]},\"a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}   ");
        var parsed = SafetensorsHeader.Parse(header, 8 + header.Length + 20);

        Assert.Equal(new[] { "a", "b" }, parsed.Tensors.Select(t => t.Name));
        Assert.Equal(7, parsed.ParameterCount);
        Assert.Equal("pt", parsed.Metadata["format"]);
        Assert.Equal(20, parsed.DataLength);
    }

    [Fact]
    public void An_empty_header_describes_an_empty_file()
    {
        var header = Json("{}      ");
        Assert.Empty(SafetensorsHeader.Parse(header, 8 + header.Length).Tensors);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,6]}}", 6, Codes.SafetensorsTensorSizeMismatch)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, Codes.SafetensorsTensorSizeMismatch)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[2,6]}}", 6, Codes.SafetensorsOffsetsOverlap)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[6,10]}}", 10, Codes.SafetensorsOffsetsNotContiguous)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}}", 8, Codes.SafetensorsOffsetsNotContiguous)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 5, Codes.SafetensorsFileSizeMismatch)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 3, Codes.SafetensorsFileSizeMismatch)]
    [InlineData("{\"a\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, Codes.SafetensorsUnknownDtype)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[-2],\"data_offsets\":[0,4]}}", 4, Codes.SafetensorsHeaderInvalid)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,0]}}", 4, Codes.SafetensorsHeaderInvalid)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2]}}", 4, Codes.SafetensorsHeaderInvalid)]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}}", 8, Codes.SafetensorsHeaderInvalid)]
    [InlineData("{\"__metadata__\":{\"format\":1}}", 0, Codes.SafetensorsHeaderInvalid)]
    [InlineData("[1,2]", 0, Codes.SafetensorsHeaderInvalid)]
    [InlineData("{\"a\":", 0, Codes.SafetensorsHeaderInvalid)]
    public void Rejects_headers_that_disagree_with_the_file(string json, long dataLength, string expectedCode)
    {
        var header = Json(json);
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsHeader.Parse(header, 8 + header.Length + dataLength));
        Assert.Equal(expectedCode, error.Code);
    }

    [Theory]
    [InlineData(4, Codes.SafetensorsTruncated)]
    [InlineData(100_000_001, Codes.SafetensorsHeaderTooLarge)]
    [InlineData(1000, Codes.SafetensorsTruncated)]
    public void Reading_checks_the_length_field_against_the_file(long lengthField, string expectedCode)
    {
        using var temp = new TempFolder();
        var bytes = lengthField == 4 ? new byte[4] : BitConverter.GetBytes(lengthField).Concat(Json("{}      ")).ToArray();
        File.WriteAllBytes(temp.Sub("x.safetensors"), bytes);

        var error = Assert.Throws<SafetensorsFormatException>(() =>
            SafetensorsHeader.ReadAsync(new LocalFolderSource(temp.Path), "x.safetensors", bytes.Length, CancellationToken.None).GetAwaiter().GetResult());
        Assert.Equal(expectedCode, error.Code);
    }

    [Fact]
    public async Task A_large_sparse_file_is_checked_from_its_header()
    {
        using var temp = new TempFolder();
        const long dataLength = 4L * 1024 * 1024 * 1024; // 4 GiB of F32, never read
        var header = Json("{\"w\":{\"dtype\":\"F32\",\"shape\":[1073741824],\"data_offsets\":[0," + dataLength + "]}}");
        var path = temp.Sub("big.safetensors");
        using (var file = new FileStream(path, FileMode.Create))
        {
            file.Write(BitConverter.GetBytes((long)header.Length));
            file.Write(header);
            file.SetLength(8 + header.Length + dataLength);
        }

        var parsed = await SafetensorsHeader.ReadAsync(new LocalFolderSource(temp.Path), "big.safetensors", new FileInfo(path).Length, CancellationToken.None);

        Assert.Equal(1073741824, parsed.ParameterCount);
    }
}
