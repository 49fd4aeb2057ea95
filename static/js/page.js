// A page with nothing live on it but the language switch (home, join): remember the switch's choice.
import { bindLanguageSwitch, followPreference } from "./i18n.js";

if (!followPreference()) bindLanguageSwitch();
