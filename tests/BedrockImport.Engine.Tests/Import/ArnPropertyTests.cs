using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Import;
using BedrockImport.Engine.Invocation;
using CsCheck;

namespace BedrockImport.Engine.Tests.Import;

/// <summary>Properties of the ARNs the module writes and reads, over random partitions, regions, accounts and ids: an
/// ARN formatted from its parts is recognised as its kind and gives its region back, the role policy's KMS and source
/// ARNs survive being read back, and an id one character off is not taken for an imported model.</summary>
public class ArnPropertyTests
{
    private const int Iterations = 1000;

    private static readonly Gen<string> Region =
        Gen.Select(Gen.OneOf(Gen.Const("us"), Gen.Const("eu"), Gen.Const("ap"), Gen.Const("sa"), Gen.Const("ca"), Gen.Const("me"),
                Gen.Const("af"), Gen.Const("il"), Gen.Const("mx"), Gen.Const("cn"), Gen.Const("us-gov")),
            Gen.OneOf(Gen.Const("east"), Gen.Const("west"), Gen.Const("north"), Gen.Const("south"), Gen.Const("central"),
                Gen.Const("northeast"), Gen.Const("southeast")),
            Gen.Int[1, 9],
            (area, direction, number) => area + "-" + direction + "-" + number);

    private static readonly Gen<string> Account = Gen.Char["0123456789"].Array[12].Select(digits => new string(digits));

    private static readonly Gen<string> ResourceId = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"].Array[12].Select(chars => new string(chars));

    private static readonly Gen<string> KeyId = Gen.Char["abcdefABCDEF0123456789-"].Array[36].Select(chars => new string(chars));

    private static readonly Gen<string> FoundationId =
        Gen.Select(Gen.Char["abcdefghijklmnopqrstuvwxyz"].Array[2, 12], Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"],
            Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-."].Array[0, 30],
            (provider, first, model) => new string(provider) + "." + first + new string(model));

    [Fact]
    public void An_imported_model_arn_formatted_from_its_parts_is_one_and_names_its_region()
    {
        Gen.Select(Region, Account, ResourceId).Sample((region, account, id) =>
        {
            var partition = ImportRolePolicyBuilder.Partition(region);
            var arn = $"arn:{partition}:bedrock:{region}:{account}:imported-model/{id}";

            Assert.Equal(ModelIdKind.ImportedModelArn, ModelIdentifier.Classify(arn));
            Assert.Matches(BedrockPatterns.ModelIdentifier, arn);
            Assert.Equal(region, CustomModelImportCost.RegionOf(arn));
        }, iter: Iterations);
    }

    [Fact]
    public void Job_foundation_model_and_inference_profile_arns_are_told_apart_and_name_their_region()
    {
        Gen.Select(Region, Account, ResourceId, FoundationId).Sample((region, account, id, model) =>
        {
            var partition = ImportRolePolicyBuilder.Partition(region);
            var job = $"arn:{partition}:bedrock:{region}:{account}:model-import-job/{id}";
            var foundation = $"arn:{partition}:bedrock:{region}::foundation-model/{model}";
            var profile = $"arn:{partition}:bedrock:{region}:{account}:inference-profile/us.{model}";

            Assert.Matches(BedrockPatterns.JobIdentifier, job);
            Assert.Equal(ModelIdKind.OtherModelArn, ModelIdentifier.Classify(job));
            Assert.Equal(ModelIdKind.FoundationModelArn, ModelIdentifier.Classify(foundation));
            Assert.Equal(ModelIdKind.InferenceProfileArn, ModelIdentifier.Classify(profile));
            Assert.All(new[] { job, foundation, profile }, arn => Assert.Equal(region, CustomModelImportCost.RegionOf(arn)));
        }, iter: Iterations);
    }

    [Fact]
    public void An_imported_model_arn_whose_id_is_one_character_off_is_not_taken_for_one()
    {
        (from region in Region
         from account in Account
         from id in ResourceId
         from position in Gen.Int[0, 11]
         from change in Gen.Int[0, 2]
         select (region, account, id, position, change)).Sample((region, account, id, position, change) =>
        {
            var off = change switch
            {
                0 => id.Remove(position, 1),                                               // 11 characters
                1 => id.Insert(position, "x"),                                              // 13 characters
                _ => id.Substring(0, position) + (char)('A' + position) + id.Substring(position + 1),   // a capital
            };
            var arn = $"arn:aws:bedrock:{region}:{account}:imported-model/{off}";

            Assert.NotEqual(ModelIdKind.ImportedModelArn, ModelIdentifier.Classify(arn));
            Assert.DoesNotMatch(BedrockPatterns.ImportedModelArn, arn);
        }, iter: Iterations);
    }

    [Fact]
    public void The_role_policy_arns_read_back_to_what_they_were_built_from()
    {
        Gen.Select(Region, Account, KeyId).Sample((region, account, keyId) =>
        {
            var partition = ImportRolePolicyBuilder.Partition(region);
            var request = new ImportRolePolicyRequest { Bucket = "model-bucket", Prefix = "models/llama/", AccountId = account, Region = region, KmsKeyId = keyId };

            var fromKeyId = ImportRolePolicyBuilder.Build(request);
            request.KmsKeyId = fromKeyId.KmsKeyArn;
            var fromArn = ImportRolePolicyBuilder.Build(request);
            request.KmsKeyId = $"arn:{partition}:kms:{region}:{account}:alias/imports";
            var fromAlias = ImportRolePolicyBuilder.Build(request);

            Assert.Equal($"arn:{partition}:kms:{region}:{account}:key/{keyId}", fromKeyId.KmsKeyArn);
            Assert.Equal(fromKeyId.KmsKeyArn, fromArn.KmsKeyArn);
            Assert.Equal($"arn:{partition}:kms:{region}:{account}:key/*", fromAlias.KmsKeyArn);
            Assert.Equal($"arn:{partition}:bedrock:{region}:{account}:model-import-job/*", fromKeyId.SourceArn);
            Assert.Equal(region, CustomModelImportCost.RegionOf(fromKeyId.SourceArn));
            Assert.Equal(region, CustomModelImportCost.RegionOf(fromKeyId.KmsKeyArn));
        }, iter: Iterations);
    }
}
