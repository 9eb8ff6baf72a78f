//! Story events: the eleven built-in events with their localised titles and premises, and the
//! custom events a family writes in the app (untrusted text, length-limited here and screened
//! by the safety pipeline before it reaches a prompt).

use crate::language::Language;
use crate::validation::{FieldErrors, Reader, clean_text};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// A built-in event, with a server-side premise in every language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuiltInEvent {
    /// "Bedtime Adventure"
    BedtimeAdventure,
    /// "School Day Fun"
    SchoolDayFun,
    /// "Birthday Celebration"
    BirthdayCelebration,
    /// "Weekend Explorer"
    WeekendExplorer,
    /// "Rainy Day Magic"
    RainyDayMagic,
    /// "Family Time"
    FamilyTime,
    /// "Making Friends"
    MakingFriends,
    /// "Learning Something New"
    LearningSomethingNew,
    /// "Helping Others"
    HelpingOthers,
    /// "Holiday Adventure"
    HolidayAdventure,
    /// "Magical Forest Adventure" (the seed's example key `magical_forest_adventure`).
    MagicalForestAdventure,
}

/// A name that is not one of the built-in events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known event; accepted values: {}", BuiltInEvent::accepted_values().join(", "))]
pub struct UnknownEvent;

impl BuiltInEvent {
    /// Every built-in event, in the app's order.
    pub const ALL: [BuiltInEvent; 11] = [
        Self::BedtimeAdventure,
        Self::SchoolDayFun,
        Self::BirthdayCelebration,
        Self::WeekendExplorer,
        Self::RainyDayMagic,
        Self::FamilyTime,
        Self::MakingFriends,
        Self::LearningSomethingNew,
        Self::HelpingOthers,
        Self::HolidayAdventure,
        Self::MagicalForestAdventure,
    ];

    /// The snake_case key (`bedtime_adventure`).
    pub fn key(self) -> &'static str {
        match self {
            Self::BedtimeAdventure => "bedtime_adventure",
            Self::SchoolDayFun => "school_day_fun",
            Self::BirthdayCelebration => "birthday_celebration",
            Self::WeekendExplorer => "weekend_explorer",
            Self::RainyDayMagic => "rainy_day_magic",
            Self::FamilyTime => "family_time",
            Self::MakingFriends => "making_friends",
            Self::LearningSomethingNew => "learning_something_new",
            Self::HelpingOthers => "helping_others",
            Self::HolidayAdventure => "holiday_adventure",
            Self::MagicalForestAdventure => "magical_forest_adventure",
        }
    }

    /// The English display name the app shows and sends (`Bedtime Adventure`).
    pub fn display_name(self) -> &'static str {
        match self {
            Self::BedtimeAdventure => "Bedtime Adventure",
            Self::SchoolDayFun => "School Day Fun",
            Self::BirthdayCelebration => "Birthday Celebration",
            Self::WeekendExplorer => "Weekend Explorer",
            Self::RainyDayMagic => "Rainy Day Magic",
            Self::FamilyTime => "Family Time",
            Self::MakingFriends => "Making Friends",
            Self::LearningSomethingNew => "Learning Something New",
            Self::HelpingOthers => "Helping Others",
            Self::HolidayAdventure => "Holiday Adventure",
            Self::MagicalForestAdventure => "Magical Forest Adventure",
        }
    }

    /// Every value [`BuiltInEvent::parse`] documents as accepted: display names and keys.
    pub fn accepted_values() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .flat_map(|e| [e.display_name(), e.key()])
            .collect()
    }

    /// Parses a display name (`Bedtime Adventure`), key (`bedtime_adventure`) or the event's
    /// title in any supported language, ignoring case, hyphens, extra spaces and camelCase
    /// (`bedtimeAdventure`, `BEDTIME-ADVENTURE`, ` bedtime  adventure `).
    pub fn parse(raw: &str) -> Result<Self, UnknownEvent> {
        let wanted = normalise_name(raw);
        if wanted.is_empty() {
            return Err(UnknownEvent);
        }
        Self::ALL
            .into_iter()
            .find(|e| {
                e.key() == wanted
                    || Language::ALL
                        .iter()
                        .any(|l| normalise_name(e.title(*l)) == wanted)
            })
            .ok_or(UnknownEvent)
    }

    /// The event's title in `language`.
    pub fn title(self, language: Language) -> &'static str {
        self.texts(language).0
    }

    /// The event's premise in `language`: two or three child-safe sentences the story is
    /// built on. "The hero" stands for the child's hero; the model names them.
    pub fn premise(self, language: Language) -> &'static str {
        self.texts(language).1
    }

    fn texts(self, language: Language) -> (&'static str, &'static str) {
        use BuiltInEvent as E;
        use Language as L;
        match (self, language) {
            (E::BedtimeAdventure, L::En) => (
                "Bedtime Adventure",
                "Just as the lights go out, the hero discovers a small, gentle doorway in their bedroom that leads to the land of dreams. Together with a loyal friend they take a short, wondrous journey under the stars. Before morning they are back home, happy, sleepy and snug in bed.",
            ),
            (E::BedtimeAdventure, L::Es) => (
                "Aventura antes de dormir",
                "Justo cuando se apagan las luces, nuestro protagonista descubre en su habitación una pequeña puerta que lleva al país de los sueños. Junto a un amigo fiel emprende un viaje breve y maravilloso bajo las estrellas. Antes del amanecer ya está de vuelta en casa, feliz, con sueño y bien arropado en la cama.",
            ),
            (E::BedtimeAdventure, L::Fr) => (
                "Aventure au coucher",
                "Au moment où les lumières s'éteignent, notre héros découvre dans sa chambre une petite porte qui mène au pays des rêves. Avec un ami fidèle, il part pour un court voyage merveilleux sous les étoiles. Avant le matin, le voilà de retour à la maison, heureux, ensommeillé et bien au chaud dans son lit.",
            ),
            (E::BedtimeAdventure, L::De) => (
                "Gute-Nacht-Abenteuer",
                "Gerade als das Licht ausgeht, entdeckt die Hauptfigur im Kinderzimmer eine kleine Tür, die ins Land der Träume führt. Gemeinsam mit einem treuen Freund geht es auf eine kurze, wundersame Reise unter den Sternen. Noch vor dem Morgen sind alle wieder zu Hause, glücklich, müde und warm zugedeckt.",
            ),
            (E::BedtimeAdventure, L::It) => (
                "Avventura della buonanotte",
                "Proprio quando si spengono le luci, il nostro protagonista scopre nella sua cameretta una porticina che conduce nel paese dei sogni. Insieme a un amico fedele parte per un breve viaggio meraviglioso sotto le stelle. Prima del mattino è di nuovo a casa, felice, assonnato e ben rimboccato sotto le coperte.",
            ),

            (E::SchoolDayFun, L::En) => (
                "School Day Fun",
                "The hero's class is getting ready for a special school day full of surprises. With the help of classmates and a kind teacher, they solve a little puzzle, share their ideas and find out that everyone's help counts. The day ends with smiles and a happy walk home.",
            ),
            (E::SchoolDayFun, L::Es) => (
                "Un día divertido en el cole",
                "La clase de nuestro protagonista se prepara para un día de colegio muy especial, lleno de sorpresas. Con la ayuda de sus compañeros y de una maestra amable, resuelve un pequeño enigma, comparte sus ideas y descubre que la ayuda de todos cuenta. El día termina con sonrisas y un alegre paseo de vuelta a casa.",
            ),
            (E::SchoolDayFun, L::Fr) => (
                "Une journée d'école amusante",
                "La classe de notre héros se prépare pour une journée d'école spéciale, pleine de surprises. Avec l'aide de ses camarades et d'une maîtresse bienveillante, il résout une petite énigme, partage ses idées et découvre que l'aide de chacun compte. La journée se termine par des sourires et un joyeux retour à la maison.",
            ),
            (E::SchoolDayFun, L::De) => (
                "Ein lustiger Schultag",
                "Die Klasse der Hauptfigur bereitet sich auf einen besonderen Schultag voller Überraschungen vor. Mit der Hilfe der anderen Kinder und einer freundlichen Lehrerin wird ein kleines Rätsel gelöst, es werden Ideen geteilt, und alle merken, dass jede Hilfe zählt. Der Tag endet mit einem Lächeln und einem fröhlichen Heimweg.",
            ),
            (E::SchoolDayFun, L::It) => (
                "Una giornata di scuola divertente",
                "La classe del nostro protagonista si prepara per una giornata di scuola speciale, piena di sorprese. Con l'aiuto dei compagni e di una maestra gentile, risolve un piccolo indovinello, condivide le sue idee e scopre che l'aiuto di tutti conta. La giornata finisce con tanti sorrisi e un'allegra passeggiata verso casa.",
            ),

            (E::BirthdayCelebration, L::En) => (
                "Birthday Celebration",
                "It is a very special birthday, and friends and family are preparing a party with balloons, music and cake. When a little surprise goes missing, the hero and a good friend follow a trail of clues and find it just in time. Everyone celebrates together, and the day ends with a warm, happy hug.",
            ),
            (E::BirthdayCelebration, L::Es) => (
                "Fiesta de cumpleaños",
                "Es un cumpleaños muy especial, y amigos y familia preparan una fiesta con globos, música y tarta. Cuando una pequeña sorpresa desaparece, nuestro protagonista y un buen amigo siguen un rastro de pistas y la encuentran justo a tiempo. Todos lo celebran juntos, y el día termina con un abrazo cálido y feliz.",
            ),
            (E::BirthdayCelebration, L::Fr) => (
                "Fête d'anniversaire",
                "C'est un anniversaire très spécial, et les amis et la famille préparent une fête avec des ballons, de la musique et un gâteau. Quand une petite surprise disparaît, notre héros et un bon ami suivent une piste d'indices et la retrouvent juste à temps. Tout le monde fait la fête ensemble, et la journée se termine par un gros câlin plein de bonheur.",
            ),
            (E::BirthdayCelebration, L::De) => (
                "Geburtstagsfeier",
                "Es ist ein ganz besonderer Geburtstag, und Freunde und Familie bereiten ein Fest mit Luftballons, Musik und Kuchen vor. Als eine kleine Überraschung verschwindet, folgen die Hauptfigur und ein guter Freund einer Spur aus Hinweisen und finden sie gerade noch rechtzeitig. Alle feiern zusammen, und der Tag endet mit einer warmen, glücklichen Umarmung.",
            ),
            (E::BirthdayCelebration, L::It) => (
                "Festa di compleanno",
                "È un compleanno davvero speciale, e amici e famiglia preparano una festa con palloncini, musica e torta. Quando una piccola sorpresa sparisce, il nostro protagonista e un buon amico seguono una scia di indizi e la ritrovano giusto in tempo. Tutti festeggiano insieme, e la giornata finisce con un abbraccio caldo e felice.",
            ),

            (E::WeekendExplorer, L::En) => (
                "Weekend Explorer",
                "On a sunny weekend morning, the hero sets out with a map, a snack and a trusted companion to explore the park, the meadow and the little stream nearby. Along the way they discover tiny wonders: a shiny pebble, a busy beetle and a secret path. At sunset they head home with pockets full of treasures and hearts full of stories.",
            ),
            (E::WeekendExplorer, L::Es) => (
                "Explorador de fin de semana",
                "Una soleada mañana de fin de semana, nuestro protagonista sale con un mapa, una merienda y un compañero de confianza para explorar el parque, el prado y el arroyo cercano. Por el camino descubren pequeñas maravillas: una piedra brillante, un escarabajo muy atareado y un sendero secreto. Al atardecer vuelven a casa con los bolsillos llenos de tesoros y el corazón lleno de historias.",
            ),
            (E::WeekendExplorer, L::Fr) => (
                "Explorateur du week-end",
                "Par un beau matin de week-end, notre héros part avec une carte, un goûter et un fidèle compagnon pour explorer le parc, la prairie et le petit ruisseau tout proche. En chemin, ils découvrent de petites merveilles : un caillou brillant, un scarabée affairé et un sentier secret. Au coucher du soleil, ils rentrent à la maison, les poches pleines de trésors et le cœur plein d'histoires.",
            ),
            (E::WeekendExplorer, L::De) => (
                "Wochenend-Entdecker",
                "An einem sonnigen Wochenendmorgen zieht die Hauptfigur mit einer Karte, etwas Proviant und einem treuen Begleiter los, um den Park, die Wiese und den kleinen Bach in der Nähe zu erkunden. Unterwegs entdecken die beiden kleine Wunder: einen glänzenden Kieselstein, einen fleißigen Käfer und einen geheimen Pfad. Bei Sonnenuntergang kehren sie heim, die Taschen voller Schätze und das Herz voller Geschichten.",
            ),
            (E::WeekendExplorer, L::It) => (
                "Esploratore del fine settimana",
                "In una soleggiata mattina di fine settimana, il nostro protagonista parte con una mappa, una merenda e un compagno fidato per esplorare il parco, il prato e il ruscello lì vicino. Lungo la strada scoprono piccole meraviglie: un sassolino luccicante, un coleottero indaffarato e un sentiero segreto. Al tramonto tornano a casa con le tasche piene di tesori e il cuore pieno di storie.",
            ),

            (E::RainyDayMagic, L::En) => (
                "Rainy Day Magic",
                "Rain is pattering on the windows, and there seems to be nothing to do indoors. Then the hero and a cheerful companion notice that every raindrop hums a tiny tune, and a blanket fort becomes the start of a cosy, magical game. When the rain stops, a soft rainbow appears to say goodnight.",
            ),
            (E::RainyDayMagic, L::Es) => (
                "La magia de un día de lluvia",
                "La lluvia repiquetea en las ventanas y parece que en casa no hay nada que hacer. Entonces nuestro protagonista y un compañero alegre se dan cuenta de que cada gota canta una pequeña melodía, y un fuerte de mantas se convierte en el comienzo de un juego mágico y acogedor. Cuando deja de llover, aparece un suave arcoíris para darles las buenas noches.",
            ),
            (E::RainyDayMagic, L::Fr) => (
                "La magie d'un jour de pluie",
                "La pluie tambourine sur les fenêtres, et il semble n'y avoir rien à faire à la maison. Puis notre héros et un compagnon joyeux remarquent que chaque goutte fredonne une petite mélodie, et une cabane de couvertures devient le début d'un jeu douillet et magique. Quand la pluie s'arrête, un doux arc-en-ciel apparaît pour leur souhaiter bonne nuit.",
            ),
            (E::RainyDayMagic, L::De) => (
                "Regentag-Zauber",
                "Der Regen prasselt an die Fenster, und drinnen scheint es nichts zu tun zu geben. Dann bemerken die Hauptfigur und ein fröhlicher Begleiter, dass jeder Regentropfen eine kleine Melodie summt, und aus einer Deckenhöhle wird der Anfang eines gemütlichen, zauberhaften Spiels. Als der Regen aufhört, erscheint ein sanfter Regenbogen und wünscht eine gute Nacht.",
            ),
            (E::RainyDayMagic, L::It) => (
                "La magia di un giorno di pioggia",
                "La pioggia picchietta sui vetri e sembra che in casa non ci sia niente da fare. Poi il nostro protagonista e un compagno allegro si accorgono che ogni goccia canticchia una piccola melodia, e una capanna di coperte diventa l'inizio di un gioco magico e accogliente. Quando smette di piovere, compare un tenue arcobaleno per augurare la buonanotte.",
            ),

            (E::FamilyTime, L::En) => (
                "Family Time",
                "The whole family spends a slow, happy day together, cooking a favourite recipe, looking at old photos and playing a game everyone loves. When a small misunderstanding comes up, the hero helps everyone listen to each other and laugh again. The evening ends with everyone snuggled up together, a story and warm blankets.",
            ),
            (E::FamilyTime, L::Es) => (
                "Tiempo en familia",
                "Toda la familia pasa junta un día tranquilo y feliz: cocinan su receta favorita, miran fotos antiguas y juegan a un juego que a todos les encanta. Cuando surge un pequeño malentendido, nuestro protagonista ayuda a que todos se escuchen y vuelvan a reír. La noche termina con todos acurrucados, un cuento y mantas calentitas.",
            ),
            (E::FamilyTime, L::Fr) => (
                "Moment en famille",
                "Toute la famille passe ensemble une journée tranquille et heureuse : on cuisine une recette préférée, on regarde de vieilles photos et on joue à un jeu que tout le monde adore. Quand un petit malentendu survient, notre héros aide chacun à écouter les autres et à rire de nouveau. La soirée se termine tous blottis les uns contre les autres, avec une histoire et de douces couvertures.",
            ),
            (E::FamilyTime, L::De) => (
                "Familienzeit",
                "Die ganze Familie verbringt einen ruhigen, fröhlichen Tag miteinander: Sie kochen ein Lieblingsrezept, schauen alte Fotos an und spielen ein Spiel, das alle lieben. Als ein kleines Missverständnis aufkommt, hilft die Hauptfigur allen, einander zuzuhören und wieder zu lachen. Der Abend endet eng aneinandergekuschelt mit einer Geschichte und warmen Decken.",
            ),
            (E::FamilyTime, L::It) => (
                "Tempo in famiglia",
                "Tutta la famiglia trascorre insieme una giornata tranquilla e felice: cucinano una ricetta preferita, guardano vecchie foto e fanno un gioco che piace a tutti. Quando nasce un piccolo malinteso, il nostro protagonista aiuta tutti ad ascoltarsi e a ridere di nuovo. La serata finisce con tutti accoccolati insieme, una storia e coperte calde.",
            ),

            (E::MakingFriends, L::En) => (
                "Making Friends",
                "A new child has moved into the neighbourhood and seems a little shy. The hero gathers their courage, says hello and discovers that the two of them love the same game. By the end of the day a brand-new friendship has begun, with plans to play again tomorrow.",
            ),
            (E::MakingFriends, L::Es) => (
                "Hacer amigos",
                "Un niño nuevo ha llegado al barrio y parece un poco tímido. Nuestro protagonista reúne valor, lo saluda y descubre que a los dos les encanta el mismo juego. Al final del día ha nacido una nueva amistad, con planes para volver a jugar mañana.",
            ),
            (E::MakingFriends, L::Fr) => (
                "Se faire des amis",
                "Un nouvel enfant vient d'arriver dans le quartier et semble un peu timide. Notre héros prend son courage à deux mains, lui dit bonjour et découvre qu'ils ont le même jeu préféré. À la fin de la journée, une toute nouvelle amitié est née, avec la promesse de rejouer ensemble demain.",
            ),
            (E::MakingFriends, L::De) => (
                "Freunde finden",
                "Ein neues Kind ist in die Nachbarschaft gezogen und wirkt ein wenig schüchtern. Die Hauptfigur nimmt all ihren Mut zusammen, sagt Hallo und entdeckt, dass die beiden dasselbe Lieblingsspiel haben. Am Ende des Tages hat eine ganz neue Freundschaft begonnen, und für morgen ist schon das nächste Spiel verabredet.",
            ),
            (E::MakingFriends, L::It) => (
                "Fare amicizia",
                "Un bambino nuovo si è appena trasferito nel quartiere e sembra un po' timido. Il nostro protagonista si fa coraggio, lo saluta e scopre che hanno lo stesso gioco preferito. Alla fine della giornata è nata una nuova amicizia, con la promessa di giocare di nuovo insieme domani.",
            ),

            (E::LearningSomethingNew, L::En) => (
                "Learning Something New",
                "The hero wants to learn something new, like riding a bike, playing a tune or drawing a star, but it is harder than it looks. With patience, practice and an encouraging friend, every try gets a little better. At last it works, and the hero feels proud and happy for not giving up.",
            ),
            (E::LearningSomethingNew, L::Es) => (
                "Aprender algo nuevo",
                "Nuestro protagonista quiere aprender algo nuevo, como montar en bici, tocar una canción o dibujar una estrella, pero es más difícil de lo que parece. Con paciencia, práctica y un amigo que lo anima, cada intento sale un poquito mejor. Por fin lo consigue, y se siente orgulloso y feliz de no haberse rendido.",
            ),
            (E::LearningSomethingNew, L::Fr) => (
                "Apprendre quelque chose de nouveau",
                "Notre héros veut apprendre quelque chose de nouveau, comme faire du vélo, jouer un air ou dessiner une étoile, mais c'est plus difficile qu'il n'y paraît. Avec de la patience, de l'entraînement et un ami qui l'encourage, chaque essai est un peu meilleur. Enfin, ça marche, et notre héros est fier et heureux d'avoir persévéré.",
            ),
            (E::LearningSomethingNew, L::De) => (
                "Etwas Neues lernen",
                "Die Hauptfigur möchte etwas Neues lernen, etwa Fahrrad fahren, ein Lied spielen oder einen Stern malen, doch es ist schwieriger, als es aussieht. Mit Geduld, Übung und einem Freund, der Mut macht, klappt jeder Versuch ein bisschen besser. Endlich gelingt es, und die Hauptfigur ist stolz und glücklich, nicht aufgegeben zu haben.",
            ),
            (E::LearningSomethingNew, L::It) => (
                "Imparare qualcosa di nuovo",
                "Il nostro protagonista vuole imparare qualcosa di nuovo, come andare in bicicletta, suonare una canzoncina o disegnare una stella, ma è più difficile di quanto sembri. Con pazienza, esercizio e un amico che lo incoraggia, ogni tentativo va un po' meglio. Alla fine ci riesce, ed è fiero e felice di non essersi arreso.",
            ),

            (E::HelpingOthers, L::En) => (
                "Helping Others",
                "On a walk through town, the hero notices that some neighbours need a hand: a cat is stuck on a fence, and an elderly friend has dropped a basket of apples. With kindness and a clever idea, the hero and a companion help out. Everyone feels warm inside, and the hero learns how good it feels to help.",
            ),
            (E::HelpingOthers, L::Es) => (
                "Ayudar a los demás",
                "Paseando por el pueblo, nuestro protagonista se da cuenta de que algunos vecinos necesitan ayuda: un gato se ha quedado atrapado en una valla y una amiga mayor ha dejado caer una cesta de manzanas. Con amabilidad y una idea ingeniosa, nuestro protagonista y un compañero echan una mano. Todos se sienten felices por dentro, y nuestro protagonista descubre lo bonito que es ayudar.",
            ),
            (E::HelpingOthers, L::Fr) => (
                "Aider les autres",
                "En se promenant en ville, notre héros remarque que des voisins ont besoin d'un coup de main : un chat est coincé sur une clôture, et une vieille amie a fait tomber son panier de pommes. Avec gentillesse et une idée astucieuse, notre héros et un compagnon viennent les aider. Tout le monde a le cœur léger, et notre héros découvre combien cela fait du bien d'aider.",
            ),
            (E::HelpingOthers, L::De) => (
                "Anderen helfen",
                "Bei einem Spaziergang durch die Stadt bemerkt die Hauptfigur, dass einige Nachbarn Hilfe brauchen: Eine Katze sitzt auf einem Zaun fest, und einer älteren Freundin ist ein Korb voller Äpfel heruntergefallen. Mit Freundlichkeit und einer klugen Idee packen die Hauptfigur und ein Begleiter mit an. Allen wird warm ums Herz, und die Hauptfigur merkt, wie schön es ist, anderen zu helfen.",
            ),
            (E::HelpingOthers, L::It) => (
                "Aiutare gli altri",
                "Passeggiando per il paese, il nostro protagonista si accorge che alcuni vicini hanno bisogno di una mano: un gatto è rimasto bloccato su una staccionata e un'anziana amica ha fatto cadere un cesto di mele. Con gentilezza e un'idea furba, il nostro protagonista e un compagno danno una mano. Tutti si sentono il cuore caldo, e il nostro protagonista scopre quanto è bello aiutare.",
            ),

            (E::HolidayAdventure, L::En) => (
                "Holiday Adventure",
                "The holidays have arrived, and the hero and their family set off for a special place: a seaside village, snowy mountains or a grandparent's cosy house. There are new things to see, traditions to share and a small, friendly mystery to solve together. The adventure ends with a happy memory to keep forever.",
            ),
            (E::HolidayAdventure, L::Es) => (
                "Aventura de vacaciones",
                "Han llegado las vacaciones, y nuestro protagonista y su familia parten hacia un lugar especial: un pueblo junto al mar, unas montañas nevadas o la acogedora casa de los abuelos. Hay cosas nuevas que ver, tradiciones que compartir y un pequeño misterio amistoso que resolver juntos. La aventura termina con un recuerdo feliz para guardar para siempre.",
            ),
            (E::HolidayAdventure, L::Fr) => (
                "Aventure de vacances",
                "Les vacances sont arrivées, et notre héros part avec sa famille vers un endroit spécial : un village au bord de la mer, des montagnes enneigées ou la maison douillette des grands-parents. Il y a de nouvelles choses à voir, des traditions à partager et un petit mystère amical à résoudre ensemble. L'aventure se termine par un souvenir heureux à garder pour toujours.",
            ),
            (E::HolidayAdventure, L::De) => (
                "Ferienabenteuer",
                "Endlich sind Ferien, und die Hauptfigur fährt mit der Familie an einen besonderen Ort: in ein Dorf am Meer, in die verschneiten Berge oder ins gemütliche Haus der Großeltern. Es gibt Neues zu sehen, Bräuche zu teilen und ein kleines, freundliches Rätsel gemeinsam zu lösen. Das Abenteuer endet mit einer glücklichen Erinnerung, die für immer bleibt.",
            ),
            (E::HolidayAdventure, L::It) => (
                "Avventura in vacanza",
                "Sono arrivate le vacanze, e il nostro protagonista parte con la sua famiglia per un posto speciale: un paesino sul mare, le montagne innevate o la casa accogliente dei nonni. Ci sono cose nuove da vedere, tradizioni da condividere e un piccolo mistero amichevole da risolvere insieme. L'avventura finisce con un ricordo felice da custodire per sempre.",
            ),

            (E::MagicalForestAdventure, L::En) => (
                "Magical Forest Adventure",
                "At the edge of town lies a forest where the trees whisper kind words and fireflies light the paths. The hero and a loyal companion follow a glowing trail to help a lost baby owl find its way back to its nest. Once the little owl is safe at home, the forest sings a soft lullaby, and it is time to rest.",
            ),
            (E::MagicalForestAdventure, L::Es) => (
                "Aventura en el bosque mágico",
                "A las afueras del pueblo hay un bosque donde los árboles susurran palabras amables y las luciérnagas iluminan los senderos. Nuestro protagonista y un compañero leal siguen un rastro brillante para ayudar a un pequeño búho perdido a volver a su nido. Cuando el búho ya está a salvo en casa, el bosque canta una suave nana y llega la hora de descansar.",
            ),
            (E::MagicalForestAdventure, L::Fr) => (
                "Aventure dans la forêt magique",
                "À la lisière de la ville se trouve une forêt où les arbres murmurent des mots gentils et où les lucioles éclairent les sentiers. Notre héros et un compagnon fidèle suivent une piste lumineuse pour aider un bébé hibou égaré à retrouver son nid. Quand le petit hibou est enfin chez lui, la forêt chante une douce berceuse, et il est temps de se reposer.",
            ),
            (E::MagicalForestAdventure, L::De) => (
                "Abenteuer im Zauberwald",
                "Am Rand der Stadt liegt ein Wald, in dem die Bäume freundliche Worte flüstern und Glühwürmchen die Wege erleuchten. Die Hauptfigur und ein treuer Begleiter folgen einer leuchtenden Spur, um einem verirrten Eulenküken den Weg zurück in sein Nest zu zeigen. Als die kleine Eule sicher zu Hause ist, singt der Wald ein sanftes Schlaflied, und es ist Zeit, sich auszuruhen.",
            ),
            (E::MagicalForestAdventure, L::It) => (
                "Avventura nel bosco incantato",
                "Ai margini del paese c'è un bosco dove gli alberi sussurrano parole gentili e le lucciole illuminano i sentieri. Il nostro protagonista e un compagno fedele seguono una scia luminosa per aiutare un piccolo gufo smarrito a ritrovare il suo nido. Quando il gufetto è finalmente a casa, il bosco canta una dolce ninnananna, ed è ora di riposare.",
            ),
        }
    }
}

impl fmt::Display for BuiltInEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Lower case, words joined by `_`: spaces, hyphens and underscores are separators, and a
/// lower-to-upper case change starts a new word (camelCase).
fn normalise_name(raw: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    let mut pending_sep = false;
    for c in raw.trim().chars() {
        if c.is_whitespace() || c == '-' || c == '_' {
            pending_sep = !out.is_empty();
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            pending_sep = true;
        }
        if pending_sep {
            out.push('_');
            pending_sep = false;
        }
        prev_lower = c.is_lowercase();
        out.extend(c.to_lowercase());
    }
    out
}

/// Length limits of custom-event fields, in characters.
pub mod limits {
    /// `title`
    pub const TITLE: usize = 100;
    /// `description`
    pub const DESCRIPTION: usize = 500;
    /// `prompt_seed`
    pub const PROMPT_SEED: usize = 500;
    /// Number of `keywords`.
    pub const KEYWORDS: usize = 10;
    /// Each keyword.
    pub const KEYWORD: usize = 40;
    /// `id`, `category`, `tone`, `age_range`, `pictogram`
    pub const SHORT: usize = 50;
}

/// An event the family wrote in the app. Every field is untrusted user text: cleaned of
/// control characters and length-limited here, screened by the safety pipeline, and fenced as
/// data in prompts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomEvent {
    /// The app's id of the event (not interpreted).
    pub id: Option<String>,
    /// Title (when the app sends none, the first words of `prompt_seed`).
    pub title: String,
    /// Description (may be empty).
    pub description: String,
    /// What the story should be about (required).
    pub prompt_seed: String,
    /// Keywords, at most ten.
    pub keywords: Vec<String>,
    /// App category (`adventure`, `learning`…).
    pub category: Option<String>,
    /// Wanted tone (`calm`, `funny`…).
    pub tone: Option<String>,
    /// Age range as the app writes it (`4-6`).
    pub age_range: Option<String>,
    /// An emoji or SF Symbol name; shown by the app, never sent to a model.
    pub pictogram: Option<String>,
}

impl CustomEvent {
    /// Parses a custom event object; field errors are reported under `prefix`. camelCase
    /// spellings (`promptSeed`, `ageRange`) are accepted too.
    pub fn parse(obj: &Map<String, Value>, prefix: &str) -> Result<Self, FieldErrors> {
        let mut r = Reader::new(obj, prefix);
        let short = limits::SHORT;
        let id = short_text(&mut r, obj, "id", &[]);
        let title = r.string("title", false, 0, limits::TITLE, false);
        let description = r.string("description", false, 0, limits::DESCRIPTION, true);
        let seed_key = alias(obj, "prompt_seed", &["promptSeed"]);
        let prompt_seed = r.string(seed_key, true, 1, limits::PROMPT_SEED, true);
        let keywords = read_keywords(&mut r, obj);
        let category = r.string("category", false, 0, short, false);
        let tone = r.string("tone", false, 0, short, false);
        let age_range = short_text(&mut r, obj, "age_range", &["ageRange"]);
        let pictogram = r.string("pictogram", false, 0, short, false);
        let errors = r.errors;
        let Some(prompt_seed) = prompt_seed.filter(|_| errors.is_empty()) else {
            return Err(errors);
        };
        let title = title
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| crate::text::first_words(&prompt_seed, 6).0.to_string());
        let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
        Ok(Self {
            id: non_empty(id),
            title,
            description: description.unwrap_or_default(),
            prompt_seed,
            keywords,
            category: non_empty(category),
            tone: non_empty(tone),
            age_range: non_empty(age_range),
            pictogram: non_empty(pictogram),
        })
    }

    /// Every user-written text that reaches a prompt (for safety screening).
    pub fn texts(&self) -> Vec<&str> {
        let mut out = vec![
            self.title.as_str(),
            self.description.as_str(),
            self.prompt_seed.as_str(),
        ];
        out.extend(self.keywords.iter().map(String::as_str));
        out.extend(
            [&self.category, &self.tone, &self.age_range]
                .into_iter()
                .filter_map(|f| f.as_deref()),
        );
        out.retain(|t| !t.is_empty());
        out
    }
}

/// The first key of `[key, aliases…]` present in `obj` (or `key`).
fn alias<'k>(obj: &Map<String, Value>, key: &'k str, aliases: &[&'k str]) -> &'k str {
    if obj.get(key).is_some_and(|v| !v.is_null()) {
        return key;
    }
    aliases
        .iter()
        .copied()
        .find(|a| obj.get(*a).is_some_and(|v| !v.is_null()))
        .unwrap_or(key)
}

/// A short text that may also arrive as a number (`"age_range": 5`, `"id": 42`).
fn short_text(
    r: &mut Reader<'_>,
    obj: &Map<String, Value>,
    key: &str,
    aliases: &[&str],
) -> Option<String> {
    let key = alias(obj, key, aliases);
    match r.raw(key) {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => r.string(key, false, 0, limits::SHORT, false),
    }
}

/// Keywords as a list, or as one comma-separated string.
fn read_keywords(r: &mut Reader<'_>, obj: &Map<String, Value>) -> Vec<String> {
    if let Some(Value::String(s)) = obj.get("keywords") {
        let items: Vec<Value> = s
            .split(',')
            .map(|k| Value::String(k.trim().to_string()))
            .filter(|v| v.as_str().is_some_and(|k| !k.is_empty()))
            .collect();
        let mut as_list = Map::new();
        as_list.insert("keywords".into(), Value::Array(items));
        let mut inner = Reader::new(&as_list, "");
        let out = inner
            .string_list("keywords", limits::KEYWORDS, limits::KEYWORD)
            .unwrap_or_default();
        for e in inner.errors.errors() {
            r.fail(&e.field, e.message.clone());
        }
        return out;
    }
    r.string_list("keywords", limits::KEYWORDS, limits::KEYWORD)
        .unwrap_or_default()
}

/// The event a story is about.
// One value per request: boxing the custom variant would only make matching clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum StoryEvent {
    /// One of the built-in events.
    BuiltIn(BuiltInEvent),
    /// An event the family wrote.
    Custom(CustomEvent),
}

impl StoryEvent {
    /// Parses the wire shape `{"type": "built_in" | "custom", "data": {…}}`.
    ///
    /// Built-in: `data.name` or `data.event` names the event (a bare string `data` works too).
    /// Custom: the fields are in `data`, or nested in `data.custom_event` / `data.event`.
    /// `type` is matched like event names (`builtIn`, `built-in`, `BUILT_IN`); an event
    /// without `type` whose `data` carries `prompt_seed` is taken as custom.
    pub fn parse(value: &Value, path: &str) -> Result<StoryEvent, FieldErrors> {
        let mut errors = FieldErrors::new();
        let Some(obj) = value.as_object() else {
            errors.push(path, "must be an object with \"type\" and \"data\"");
            return Err(errors);
        };
        let mut r = Reader::new(obj, path);
        let kind = r.string("type", false, 0, 40, false);
        let data_path = r.path("data");
        let type_path = r.path("type");
        let data = r.raw("data");
        errors = r.errors;
        if !errors.is_empty() {
            return Err(errors);
        }
        let kind = kind.map(|k| normalise_name(&k));
        let looks_custom = data
            .and_then(Value::as_object)
            .is_some_and(|d| d.contains_key("prompt_seed") || d.contains_key("promptSeed"));
        match kind.as_deref() {
            Some("built_in" | "builtin" | "built_in_event") => {
                Self::parse_built_in(data, &data_path)
            }
            Some("custom" | "custom_event") => Self::parse_custom(data, &data_path),
            None if looks_custom => Self::parse_custom(data, &data_path),
            None if data.is_some() => Self::parse_built_in(data, &data_path),
            None => {
                errors.push(type_path, "is required (\"built_in\" or \"custom\")");
                Err(errors)
            }
            Some(_) => {
                errors.push(type_path, "must be \"built_in\" or \"custom\"");
                Err(errors)
            }
        }
    }

    fn parse_built_in(data: Option<&Value>, path: &str) -> Result<StoryEvent, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (name, field) = match data {
            Some(Value::String(s)) => (Some(s.as_str()), path.to_string()),
            Some(Value::Object(d)) => {
                let key = alias(d, "name", &["event", "key", "title"]);
                match d.get(key) {
                    Some(Value::String(s)) => (Some(s.as_str()), format!("{path}.{key}")),
                    Some(v) if !v.is_null() => {
                        errors.push(format!("{path}.{key}"), "must be a string");
                        return Err(errors);
                    }
                    _ => (None, format!("{path}.name")),
                }
            }
            Some(_) => {
                errors.push(path, "must be an object");
                return Err(errors);
            }
            None => (None, format!("{path}.name")),
        };
        let Some(name) = name else {
            errors.push(field, "is required");
            return Err(errors);
        };
        match BuiltInEvent::parse(&clean_text(name, false)) {
            Ok(e) => Ok(StoryEvent::BuiltIn(e)),
            Err(e) => {
                errors.push(field, e.to_string());
                Err(errors)
            }
        }
    }

    fn parse_custom(data: Option<&Value>, path: &str) -> Result<StoryEvent, FieldErrors> {
        let mut errors = FieldErrors::new();
        let Some(d) = data.and_then(Value::as_object) else {
            errors.push(path, "must be an object with the custom event");
            return Err(errors);
        };
        for nested in ["custom_event", "customEvent", "event"] {
            if let Some(Value::Object(inner)) = d.get(nested) {
                let p = format!("{path}.{nested}");
                return CustomEvent::parse(inner, &p).map(StoryEvent::Custom);
            }
        }
        CustomEvent::parse(d, path).map(StoryEvent::Custom)
    }

    /// The event's title in `language` (a custom event's own title as written).
    pub fn title(&self, language: Language) -> &str {
        match self {
            Self::BuiltIn(e) => e.title(language),
            Self::Custom(c) => &c.title,
        }
    }

    /// Every user-written text (none for built-in events), for safety screening.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Self::BuiltIn(_) => Vec::new(),
            Self::Custom(c) => c.texts(),
        }
    }

    /// A stable description of the event for cache keys: the key of a built-in event, or a
    /// canonical JSON of a custom event's prompt-relevant fields.
    pub fn cache_key(&self) -> String {
        match self {
            Self::BuiltIn(e) => format!("built_in:{}", e.key()),
            Self::Custom(c) => {
                let canonical = serde_json::json!([
                    c.title,
                    c.description,
                    c.prompt_seed,
                    c.keywords,
                    c.category,
                    c.tone,
                    c.age_range
                ]);
                format!("custom:{canonical}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sentences(text: &str) -> usize {
        crate::text::sentence_spans(text).len()
    }

    #[test]
    fn every_event_is_found_by_display_name_and_key_in_any_case_and_spacing() {
        for e in BuiltInEvent::ALL {
            let name = e.display_name();
            let key = e.key();
            for raw in [
                name.to_string(),
                key.to_string(),
                name.to_uppercase(),
                key.to_uppercase(),
                name.to_lowercase(),
                format!("  {}  ", name.replace(' ', "   ")),
                name.replace(' ', "-"),
                key.replace('_', "-"),
            ] {
                assert_eq!(BuiltInEvent::parse(&raw), Ok(e), "{raw:?}");
            }
        }
    }

    #[test]
    fn camel_case_and_localised_titles_are_accepted() {
        assert_eq!(
            BuiltInEvent::parse("bedtimeAdventure"),
            Ok(BuiltInEvent::BedtimeAdventure)
        );
        assert_eq!(
            BuiltInEvent::parse("Aventura en el bosque mágico"),
            Ok(BuiltInEvent::MagicalForestAdventure)
        );
        assert_eq!(
            BuiltInEvent::parse("GEBURTSTAGSFEIER"),
            Ok(BuiltInEvent::BirthdayCelebration)
        );
    }

    #[test]
    fn every_event_has_a_distinct_title_and_a_two_or_three_sentence_premise_in_every_language() {
        for lang in Language::ALL {
            let mut titles = std::collections::HashSet::new();
            for e in BuiltInEvent::ALL {
                assert!(titles.insert(e.title(lang)), "{e} {lang} title repeated");
                let n = sentences(e.premise(lang));
                assert!((2..=3).contains(&n), "{e} {lang}: {n} sentences");
                if lang != Language::En {
                    assert_ne!(e.premise(lang), e.premise(Language::En), "{e} {lang}");
                }
            }
        }
    }

    #[test]
    fn english_titles_are_the_display_names() {
        for e in BuiltInEvent::ALL {
            assert_eq!(e.title(Language::En), e.display_name());
        }
    }

    #[test]
    fn an_unknown_event_error_lists_every_accepted_value() {
        let err = StoryEvent::parse(
            &json!({"type": "built_in", "data": {"name": "Space Pirates"}}),
            "event",
        )
        .expect_err("unknown");
        let e = &err.errors()[0];
        assert_eq!(e.field, "event.data.name");
        for v in BuiltInEvent::accepted_values() {
            assert!(e.message.contains(v), "{v} missing from {}", e.message);
        }
        assert!(!e.message.contains("Space Pirates"));
    }

    #[test]
    fn built_in_events_parse_from_name_or_event_field() {
        let by_name = StoryEvent::parse(
            &json!({"type": "built_in", "data": {"name": "Bedtime Adventure"}}),
            "event",
        );
        let by_event = StoryEvent::parse(
            &json!({"type": "builtIn", "data": {"event": "helping_others"}}),
            "event",
        );
        assert_eq!(
            by_name,
            Ok(StoryEvent::BuiltIn(BuiltInEvent::BedtimeAdventure))
        );
        assert_eq!(
            by_event,
            Ok(StoryEvent::BuiltIn(BuiltInEvent::HelpingOthers))
        );
    }

    #[test]
    fn the_apps_inline_custom_event_parses_with_all_its_fields() {
        let v = json!({"type": "custom", "data": {
            "id": "8D3F1C2A-1111-4A4A-9B9B-123456789ABC",
            "title": "Trip to the Aquarium", "description": "We visit the big fish tank",
            "prompt_seed": "A gentle visit to an aquarium where a turtle says hello",
            "keywords": ["turtle", "ocean", " "], "category": "adventure", "tone": "calm",
            "age_range": "4-6", "pictogram": "🐢", "future_field": true}});
        let StoryEvent::Custom(c) = StoryEvent::parse(&v, "event").expect("valid") else {
            panic!("expected a custom event");
        };
        assert_eq!(
            c.id.as_deref(),
            Some("8D3F1C2A-1111-4A4A-9B9B-123456789ABC")
        );
        assert_eq!(c.title, "Trip to the Aquarium");
        assert_eq!(c.keywords, vec!["turtle", "ocean"]);
        assert_eq!(c.tone.as_deref(), Some("calm"));
        assert_eq!(c.age_range.as_deref(), Some("4-6"));
        assert_eq!(c.pictogram.as_deref(), Some("🐢"));
    }

    #[test]
    fn custom_event_fields_nested_in_custom_event_are_found() {
        let v = json!({"type": "custom", "data": {"custom_event": {"prompt_seed": "A picnic", "keywords": "sun, sandwiches"}}});
        let StoryEvent::Custom(c) = StoryEvent::parse(&v, "event").expect("valid") else {
            panic!("expected a custom event");
        };
        assert_eq!(c.title, "A picnic");
        assert_eq!(c.keywords, vec!["sun", "sandwiches"]);
    }

    #[test]
    fn custom_event_limits_are_enforced_with_paths() {
        let v = json!({"type": "custom", "data": {
            "title": "t".repeat(101), "prompt_seed": "s".repeat(501),
            "keywords": vec!["k"; 11], "tone": "x".repeat(51)}});
        let err = StoryEvent::parse(&v, "event").expect_err("too long");
        let fields: Vec<_> = err.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "event.data.title",
                "event.data.prompt_seed",
                "event.data.keywords",
                "event.data.tone"
            ]
        );
    }

    #[test]
    fn a_custom_event_without_prompt_seed_is_rejected() {
        let err = StoryEvent::parse(&json!({"type": "custom", "data": {"title": "Hi"}}), "event")
            .expect_err("missing seed");
        assert_eq!(err.first_field(), Some("event.data.prompt_seed"));
    }

    #[test]
    fn control_characters_are_stripped_from_custom_text() {
        let v = json!({"type": "custom", "data": {"prompt_seed": "A pic\u{0007}nic\u{202E}"}});
        let StoryEvent::Custom(c) = StoryEvent::parse(&v, "event").expect("valid") else {
            panic!("expected a custom event");
        };
        assert_eq!(c.prompt_seed, "A picnic");
    }

    #[test]
    fn a_wrong_type_or_shape_is_reported() {
        let bad_type = StoryEvent::parse(&json!({"type": "weird", "data": {}}), "event");
        assert_eq!(
            bad_type.expect_err("bad type").first_field(),
            Some("event.type")
        );
        let not_object = StoryEvent::parse(&json!("Bedtime Adventure"), "event");
        assert_eq!(
            not_object.expect_err("not object").first_field(),
            Some("event")
        );
    }

    #[test]
    fn cache_keys_differ_between_events_and_are_stable() {
        let a = StoryEvent::BuiltIn(BuiltInEvent::FamilyTime);
        let b = StoryEvent::BuiltIn(BuiltInEvent::HelpingOthers);
        assert_ne!(a.cache_key(), b.cache_key());
        assert_eq!(a.cache_key(), "built_in:family_time");
    }
}
