#include "core/topk.h"

#include "core/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

// The plain-data side of top-k results: merging shards, JSON and files.

namespace convscope {

using Json = nlohmann::ordered_json;

namespace {

const char* scoreName(TopkScore score)
{
    return score == TopkScore::Max ? "max" : "mean";
}

// Ties (dead ReLU channels score 0 on thousands of images) go to the lower
// image index, so that any batching, resume or sharding gives one answer.
bool better(const TopkHit& a, const TopkHit& b)
{
    return a.score != b.score ? a.score > b.score : a.image < b.image;
}

} // namespace

TopkResult mergeTopk(const std::vector<TopkResult>& shards)
{
    if (shards.empty())
        throw Error("no shard results to merge");
    const TopkResult& first = shards.front();
    const int n = first.shards;
    auto differ = [&](const TopkResult& s, const char* what, const std::string& a, const std::string& b) {
        if (a != b)
            throw Error("shard " + std::to_string(s.shard) + "/" + std::to_string(s.shards) + " is of another scan: "
                        + what + " " + b + ", not " + a);
    };
    std::vector<int> seen(static_cast<size_t>(std::max(n, 0)), 0);
    for (const auto& s : shards) {
        differ(s, "layer", first.layer, s.layer);
        differ(s, "score", scoreName(first.score), scoreName(s.score));
        differ(s, "k", std::to_string(first.k), std::to_string(s.k));
        differ(s, "model", first.modelHash, s.modelHash);
        differ(s, "dataset", first.datasetIdentity, s.datasetIdentity);
        differ(s, "shard count", std::to_string(n), std::to_string(s.shards));
        differ(s, "channel count", std::to_string(first.channels.size()), std::to_string(s.channels.size()));
        if (s.shard < 0 || s.shard >= n)
            throw Error("shard " + std::to_string(s.shard) + "/" + std::to_string(n) + " does not exist");
        if (seen[static_cast<size_t>(s.shard)]++)
            throw Error("shard " + std::to_string(s.shard) + "/" + std::to_string(n) + " is given twice");
        if (!s.complete())
            throw Error("shard " + std::to_string(s.shard) + "/" + std::to_string(n) + " is incomplete ("
                        + std::to_string(s.scanned) + " of " + std::to_string(s.total) + " images scanned)");
    }
    for (int i = 0; i < n; ++i)
        if (!seen[static_cast<size_t>(i)])
            throw Error("shard " + std::to_string(i) + "/" + std::to_string(n) + " is missing");

    TopkResult merged = first;
    merged.shard = 0;
    merged.shards = 1;
    merged.scanned = merged.total = 0;
    for (auto& hits : merged.channels)
        hits.clear();
    for (const auto& s : shards) {
        merged.scanned += s.scanned;
        merged.total += s.total;
        for (size_t c = 0; c < s.channels.size(); ++c)
            merged.channels[c].insert(merged.channels[c].end(), s.channels[c].begin(), s.channels[c].end());
    }
    for (auto& hits : merged.channels) {
        std::sort(hits.begin(), hits.end(), better);
        if (static_cast<int64_t>(hits.size()) > merged.k)
            hits.resize(static_cast<size_t>(merged.k));
    }
    return merged;
}

namespace {

Json hitsJson(const std::vector<TopkHit>& channel)
{
    Json hits = Json::array();
    for (const auto& h : channel)
        hits.push_back({{"image", h.image},
                        {"label", h.label},
                        {"score", h.score},
                        {"y", h.y},
                        {"x", h.x},
                        {"box", h.box},
                        {"clipped", h.clipped}});
    return hits;
}

} // namespace

std::string topkHitsJson(const std::vector<TopkHit>& hits)
{
    return hitsJson(hits).dump();
}

std::string topkJson(const TopkResult& result)
{
    Json out;
    out["layer"] = result.layer;
    out["score"] = scoreName(result.score);
    out["k"] = result.k;
    out["model_sha256"] = result.modelHash;
    out["dataset"] = result.datasetIdentity;
    out["shard"] = result.shard;
    out["shards"] = result.shards;
    out["scanned"] = result.scanned;
    out["total"] = result.total;
    out["channels"] = Json::array();
    for (size_t c = 0; c < result.channels.size(); ++c) {
        out["channels"].push_back({{"channel", c}, {"hits", hitsJson(result.channels[c])}});
    }
    return out.dump(1);
}

TopkResult topkFromJson(const std::string& json)
{
    try {
        const Json in = Json::parse(json);
        TopkResult result;
        result.layer = in.at("layer").get<std::string>();
        const auto score = in.at("score").get<std::string>();
        if (score != "max" && score != "mean")
            throw Error("not a top-k result: unknown score '" + score + "'");
        result.score = score == "max" ? TopkScore::Max : TopkScore::Mean;
        result.k = in.at("k").get<int64_t>();
        result.modelHash = in.at("model_sha256").get<std::string>();
        result.datasetIdentity = in.at("dataset").get<std::string>();
        result.shard = in.at("shard").get<int>();
        result.shards = in.at("shards").get<int>();
        result.scanned = in.at("scanned").get<int64_t>();
        result.total = in.at("total").get<int64_t>();
        for (const auto& channel : in.at("channels")) {
            if (channel.at("channel").get<size_t>() != result.channels.size())
                throw Error("not a top-k result: channels out of order");
            auto& hits = result.channels.emplace_back();
            for (const auto& h : channel.at("hits")) {
                TopkHit hit;
                hit.image = h.at("image").get<int64_t>();
                hit.label = h.at("label").get<int64_t>();
                hit.score = h.at("score").get<float>();
                hit.y = h.at("y").get<int64_t>();
                hit.x = h.at("x").get<int64_t>();
                hit.box = h.at("box").get<std::array<int64_t, 4>>();
                hit.clipped = h.at("clipped").get<bool>();
                hits.push_back(hit);
            }
        }
        return result;
    } catch (const nlohmann::json::exception& e) {
        // "[json.exception.out_of_range.403] key 'k' not found": keep the words.
        std::string what = e.what();
        const auto bracket = what.find("] ");
        throw Error("not a top-k result: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)));
    }
}

void writeTopkFile(const std::string& path, const TopkResult& result)
{
    // One temporary name per file, not a random one: a process killed while
    // writing (a few milliseconds in each checkpoint) leaves at most one
    // FILE.partial beside it, replaced by the next write, instead of a new
    // leftover each time.
    const std::string temporary = path + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << topkJson(result) << '\n';
        out.close();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored); // a full disk leaves nothing behind
            throw Error("cannot write " + path);
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::filesystem::remove(temporary, error);
        throw Error("cannot write " + path);
    }
}

TopkResult readTopkFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return topkFromJson(text.str());
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
}

} // namespace convscope
