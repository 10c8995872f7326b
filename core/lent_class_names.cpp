#include "core/lent_class_names.h"

#include "core/dataset.h"
#include "core/model.h"

namespace convscope {

namespace {

bool numbered(const std::vector<std::string>& names)
{
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] != std::to_string(i))
            return false;
    return true;
}

} // namespace

std::vector<std::string> lentClassNames(const ModelInfo& model, const Dataset& dataset)
{
    const auto& names = dataset.classes();
    if (names.empty() || names.size() != model.labels.size() || !numbered(model.labels) || numbered(names))
        return {};
    return names;
}

std::string lentClassNamesNote(const Dataset& dataset)
{
    return "class names from " + dataset.name() + " (the model's own are numbers)";
}

} // namespace convscope
