"""The product's own sample: a short fictitious French rencontre métier (a night nurse and a student).

Spoken by espeak-ng at demo time; nothing here comes from the test data.
"""

from __future__ import annotations

PROFESSIONAL = ("professional", "Claire Martin", "fr+f3")
STUDENT = ("student", "Lina", "fr+m3")

# (speaker, line). The student's questions open the topics.
DIALOGUE: tuple[tuple[tuple[str, str, str], str], ...] = (
    (
        STUDENT,
        "Bonjour Claire, merci d'avoir accepté cet échange. On enregistre pour la vidéothèque, "
        "c'est d'accord pour vous ?",
    ),
    (PROFESSIONAL, "Bonjour Lina. Oui, je suis d'accord pour l'enregistrement."),
    (STUDENT, "Vous pouvez me dire en quoi consiste votre métier ?"),
    (
        PROFESSIONAL,
        "Je suis infirmière de nuit dans un service de cardiologie à l'hôpital. Je surveille les patients, "
        "je prépare et je donne les traitements, je fais les prises de sang et je rassure les familles. "
        "La nuit, nous sommes deux infirmières et une aide-soignante pour vingt-huit lits.",
    ),
    (STUDENT, "Comment se passe une nuit de travail ?"),
    (
        PROFESSIONAL,
        "J'arrive à vingt heures trente pour les transmissions avec l'équipe de jour. Ensuite je fais le tour "
        "des chambres, je distribue les médicaments du soir et je vérifie les perfusions. Vers deux heures du "
        "matin, c'est plus calme, alors je mets à jour les dossiers. Le matin, je transmets tout à l'équipe suivante.",
    ),
    (STUDENT, "Qu'est-ce qui est le plus difficile dans votre travail ?"),
    (
        PROFESSIONAL,
        "Le plus dur, c'est la fatigue. Dormir le jour n'est pas facile et on rate des moments en famille. "
        "Il y a aussi les urgences : quand un patient fait un arrêt cardiaque à quatre heures du matin, "
        "il faut garder son calme alors que le médecin de garde n'est pas encore arrivé.",
    ),
    (STUDENT, "Quelles études faut-il faire pour devenir infirmière ?"),
    (
        PROFESSIONAL,
        "Après le baccalauréat, on passe par Parcoursup pour entrer dans un institut de formation en soins "
        "infirmiers. La formation dure trois ans, avec beaucoup de stages à l'hôpital, en maison de retraite "
        "ou en psychiatrie. On obtient le diplôme d'État d'infirmier.",
    ),
    (STUDENT, "Et niveau salaire, ça donne quoi ?"),
    (
        PROFESSIONAL,
        "En début de carrière à l'hôpital public, on gagne environ deux mille euros net par mois, avec les "
        "primes de nuit et de week-end. Le salaire augmente avec l'ancienneté et les spécialisations.",
    ),
    (STUDENT, "Quel conseil vous me donneriez si ce métier m'intéresse ?"),
    (
        PROFESSIONAL,
        "Fais un stage d'observation ou du bénévolat auprès de personnes âgées pour voir si le contact avec "
        "les patients te plaît. Travaille bien la biologie, et surtout, garde ta curiosité et ton écoute.",
    ),
    (STUDENT, "Merci beaucoup Claire, c'était passionnant."),
    (PROFESSIONAL, "Avec plaisir Lina, bonne continuation."),
)

TITLE = "Rencontre avec une infirmière de nuit"
JOB = "infirmière de nuit"
SECTOR = "santé"
