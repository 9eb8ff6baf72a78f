//! Creates the DynamoDB table and the four S3 buckets from `infra/*.json` on the server the
//! environment points at (`AWS_ENDPOINT_URL`, used by `scripts/local-services`):
//!
//! `create-aws-resources TABLE STORY_ASSETS HERO_AVATARS STORY_AUDIO STORY_ILLUSTRATIONS`

use storage::aws::{self, AwsNames};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [table, story_assets, hero_avatars, story_audio, story_illustrations] =
        <[String; 5]>::try_from(args).map_err(|_| {
            "usage: create-aws-resources TABLE STORY_ASSETS HERO_AVATARS STORY_AUDIO STORY_ILLUSTRATIONS"
        })?;
    let names = AwsNames {
        table,
        story_assets,
        hero_avatars,
        story_audio,
        story_illustrations,
    };
    let sdk = aws::sdk_config_from_env().await;
    aws::resources::create_all(&sdk, &names).await?;
    println!("created table {} and 4 buckets", names.table);
    Ok(())
}
