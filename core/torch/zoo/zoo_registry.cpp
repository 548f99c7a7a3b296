// The zoo's index: the models by name, spec parsing and option checking.
#include "core/torch/torch_precompiled.h"

#include "core/torch/zoo/zoo.h"

#include <sstream>
#include <stdexcept>

namespace statelens::zoo {

const std::vector<ZooEntry>& zooEntries()
{
    static const std::vector<ZooEntry> entries = [] {
        std::vector<ZooEntry> all;
        addSmallModels(all);
        addVisionModels(all);
        addGpt2(all);
        return all;
    }();
    return entries;
}

std::pair<std::string, Options> parseSpec(const std::string& spec)
{
    const size_t colon = spec.find(':');
    std::pair<std::string, Options> parsed{spec.substr(0, colon), {}};
    if (colon == std::string::npos)
        return parsed;
    std::stringstream stream(spec.substr(colon + 1));
    std::string item;
    while (std::getline(stream, item, ',')) {
        const size_t equals = item.find('=');
        if (equals == std::string::npos || equals == 0)
            throw std::invalid_argument("option '" + item + "' in '" + spec + "' is not key=value");
        parsed.second[item.substr(0, equals)] = item.substr(equals + 1);
    }
    return parsed;
}

int64_t intOption(const Options& options, const std::string& key, int64_t fallback)
{
    const auto found = options.find(key);
    if (found == options.end())
        return fallback;
    size_t used = 0;
    long long value = 0;
    try {
        value = std::stoll(found->second, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != found->second.size() || value < 1 || value > (int64_t(1) << 31))
        throw std::invalid_argument(key + " must be a positive integer, not '" + found->second + "'");
    return value;
}

void checkKnownOptions(const Options& options, const std::vector<std::string>& known, const std::string& model)
{
    for (const auto& [key, value] : options) {
        if (std::find(known.begin(), known.end(), key) != known.end())
            continue;
        std::string list;
        for (const std::string& name : known)
            list += (list.empty() ? "" : ", ") + name;
        throw std::invalid_argument(model + " has no option '" + key + "'" + (list.empty() ? " (it takes none)" : " (options: " + list + ")"));
    }
}

BuiltModel buildModel(const std::string& spec)
{
    const auto [name, options] = parseSpec(spec);
    for (const ZooEntry& entry : zooEntries()) {
        if (entry.name == name)
            return entry.build(options);
    }
    std::string known;
    for (const ZooEntry& entry : zooEntries())
        known += (known.empty() ? "" : ", ") + entry.name;
    throw std::invalid_argument("unknown architecture '" + name + "'; built-in: " + known);
}

}  // namespace statelens::zoo
